import Crypto
import Foundation
import GatewayCore

/// An API key as stored: never the key itself, only its SHA-256; the partner it speaks for and its scopes.
public struct APIKeyRecord: Sendable, Codable, Equatable {
    /// The key's public prefix (`igw_XXXXXXXX`), shown in lists and the audit log.
    public var keyID: String
    public var partner: String
    /// `flow:<flow>:in` (push), `flow:<flow>:out` (pull), `admin` (status and reports).
    public var scopes: [APIScope]
    public var label: String?
    public var createdAt: String
    public var revokedAt: String?

    public init(
        keyID: String, partner: String, scopes: [APIScope], label: String?, createdAt: String, revokedAt: String?
    ) {
        self.keyID = keyID
        self.partner = partner
        self.scopes = scopes
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// One access to personal data (or to the gateway's state): who, what, when, why.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: String
    /// The key's public prefix, or `cli` for the command line.
    public var actor: String
    public var partner: String?
    /// `push-file`, `push-records`, `read-outbox`, `read-outbox-file`, `read-rejections`, `read-quarantine`,
    /// `read-report`, `people-export`, `purge`…
    public var action: String
    /// What `subject` names.
    public var subjectKind: AuditSubject
    /// A file number, a person number, a file name or a report: never a NIR nor a name.
    public var subject: String
    public var purpose: String
    public var route: String?
    public var status: Int?

    public init(
        id: Int64 = 0, at: String = "", actor: String, partner: String?, action: String, subjectKind: AuditSubject,
        subject: String, purpose: String, route: String? = nil, status: Int? = nil
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.partner = partner
        self.action = action
        self.subjectKind = subjectKind
        self.subject = subject
        self.purpose = purpose
        self.route = route
        self.status = status
    }
}

/// API keys (stored hashed) and the audit log, on whichever database the gateway instances share.
public protocol AccessRepository: Sendable {
    /// Creates a key for `partner` with `scopes`; returns the key (shown once, never stored) and its record.
    func createAPIKey(partner: String, scopes: [APIScope], label: String?) throws -> (
        key: String, record: APIKeyRecord
    )
    /// The live (not revoked) key whose digest is `sha256`, if any.
    func apiKey(sha256: String) throws -> APIKeyRecord?
    /// Every key, revoked ones included, oldest first.
    func apiKeys() throws -> [APIKeyRecord]
    /// Revokes a key by its public prefix; false when no live key has it.
    @discardableResult
    func revokeAPIKey(keyID: String) throws -> Bool
    /// Appends to the audit log.
    func audit(_ entry: AuditEntry) throws
    /// The audit log, oldest first, from `since` (an ISO date or date-time) and for one partner when given.
    func auditLog(since: String?, partner: String?, limit: Int) throws -> [AuditEntry]
}

extension AccessRepository {
    // The requirements with their usual arguments left out.
    public func createAPIKey(partner: String, scopes: [APIScope], label: String? = nil) throws -> (
        key: String, record: APIKeyRecord
    ) {
        try createAPIKey(partner: partner, scopes: scopes, label: label)
    }

    public func auditLog(since: String? = nil, partner: String? = nil, limit: Int = 10_000) throws -> [AuditEntry] {
        try auditLog(since: since, partner: partner, limit: limit)
    }
}

/// Keys and audit in SQL, over the store's database (SQLite or PostgreSQL: both pass the same test suite).
public struct SQLAccessRepository: AccessRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// Creates a key for `partner` with `scopes`; returns the key (shown once, never stored) and its record.
    public func createAPIKey(partner: String, scopes: [APIScope], label: String?) throws -> (
        key: String, record: APIKeyRecord
    ) {
        let (key, keyID) = GatewayStore.newKey()
        let record = APIKeyRecord(
            keyID: keyID, partner: partner, scopes: scopes, label: label, createdAt: GatewayStore.now(), revokedAt: nil)
        try database.write { db in
            try db.execute(
                """
                INSERT INTO api_key (key_id, partner, sha256, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    keyID, partner, GatewayStore.keyDigest(key), scopes.map(\.description).joined(separator: " "),
                    label, record.createdAt,
                ])
        }
        return (key, record)
    }

    /// The live (not revoked) key whose digest is `sha256`, if any.
    public func apiKey(sha256: String) throws -> APIKeyRecord? {
        try database.read { db in
            try db.fetchOne(
                "SELECT * FROM api_key WHERE sha256 = ? AND revoked_at IS NULL", [sha256]
            ).map(APIKeyRecord.init(row:))
        }
    }

    /// Every key, revoked ones included, oldest first.
    public func apiKeys() throws -> [APIKeyRecord] {
        try database.read { db in
            try db.fetchAll("SELECT * FROM api_key ORDER BY id").map(APIKeyRecord.init(row:))
        }
    }

    /// Revokes a key by its public prefix; false when no live key has it.
    @discardableResult
    public func revokeAPIKey(keyID: String) throws -> Bool {
        try database.write { db in
            return try db.execute(
                "UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                [GatewayStore.now(), keyID]) > 0
        }
    }

    /// Appends to the audit log.
    public func audit(_ entry: AuditEntry) throws {
        try database.write { db in
            try db.execute(
                """
                INSERT INTO audit_log (at, actor, partner, action, subject_kind, subject, purpose, route, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    entry.at.isEmpty ? GatewayStore.now() : entry.at, entry.actor, entry.partner, entry.action,
                    entry.subjectKind, entry.subject, entry.purpose, entry.route, entry.status,
                ])
        }
    }

    /// The audit log, oldest first, from `since` (an ISO date or date-time) and for one partner when given.
    public func auditLog(since: String?, partner: String?, limit: Int) throws -> [AuditEntry] {
        try database.read { db in
            var clauses: [String] = []
            var arguments: SQLArguments = []
            if let since {
                clauses.append("at >= ?")
                arguments.append(since)
            }
            if let partner {
                clauses.append("partner = ?")
                arguments.append(partner)
            }
            let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            arguments.append(limit)
            return try db.fetchAll(
                "SELECT * FROM audit_log \(filter) ORDER BY id LIMIT ?", arguments
            ).map { row in
                AuditEntry(
                    id: row["id"], at: row["at"], actor: row["actor"], partner: row["partner"], action: row["action"],
                    subjectKind: row["subject_kind"] ?? .unrecognised, subject: row["subject"], purpose: row["purpose"],
                    route: row["route"], status: row["status"])
            }
        }
    }
}

extension GatewayStore {
    /// The SHA-256 (hex) of a key, as stored.
    public static func keyDigest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// 32 random bytes from the system's generator, as URL-safe base64 without padding (43 characters): an API key's
    /// secret, a console session's form token.
    public static func randomSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A new key (`igw_<8 characters>_<secret>`, 32 random bytes) and its public prefix.
    public static func newKey() -> (key: String, keyID: String) {
        let secret = randomSecret()
        let keyID = "igw_" + secret.prefix(8)
        return (keyID + "_" + secret.dropFirst(8), keyID)
    }
}

extension APIKeyRecord {
    init(row: SQLRow) {
        self.init(
            keyID: row["key_id"], partner: row["partner"],
            scopes: (row["scopes"] as String).split(separator: " ").compactMap(APIScope.init), label: row["label"],
            createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}
