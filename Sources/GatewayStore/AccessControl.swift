import Crypto
import Foundation

/// An API key as stored: never the key itself, only its SHA-256; the partner it speaks for and its scopes.
public struct APIKeyRecord: Sendable, Codable, Equatable {
    /// The key's public prefix (`igw_XXXXXXXX`), shown in lists and the audit log.
    public var keyID: String
    public var partner: String
    /// `flow:<flow>:in` (push), `flow:<flow>:out` (pull), `admin` (status and reports).
    public var scopes: [String]
    public var label: String?
    public var createdAt: String
    public var revokedAt: String?

    public init(
        keyID: String, partner: String, scopes: [String], label: String?, createdAt: String, revokedAt: String?
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
    /// `file`, `person`, `outbox-file`, `report`, `store`: what `subject` names.
    public var subjectKind: String
    /// A file number, a person number, a file name or a report: never a NIR nor a name.
    public var subject: String
    public var purpose: String
    public var route: String?
    public var status: Int?

    public init(
        id: Int64 = 0, at: String = "", actor: String, partner: String?, action: String, subjectKind: String,
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

extension Schema {
    /// The API's tables: keys (hashed) and the audit log. Registered after every earlier migration.
    static let v4API = """
        CREATE TABLE api_key (
            id INTEGER PRIMARY KEY,
            -- public prefix of the key, shown in lists and in the audit log
            key_id TEXT NOT NULL UNIQUE,
            partner TEXT NOT NULL,
            -- SHA-256 (hex) of the whole key: the key itself is never stored
            sha256 TEXT NOT NULL UNIQUE,
            -- space-separated: flow:<flow>:in, flow:<flow>:out, admin
            scopes TEXT NOT NULL,
            label TEXT,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            partner TEXT,
            action TEXT NOT NULL,
            subject_kind TEXT NOT NULL,
            -- a file or person number, a file name, a report: never a NIR nor a name
            subject TEXT NOT NULL,
            purpose TEXT NOT NULL,
            route TEXT,
            status INTEGER
        );
        CREATE INDEX audit_log_at ON audit_log(at);
        CREATE INDEX audit_log_partner ON audit_log(partner, at);
        -- Work that several gateway instances share (a pushed file, a scheduled exchange): each item is
        -- claimed by one instance, for a lease, and done once.
        CREATE TABLE work_item (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            -- pending | claimed | done
            state TEXT NOT NULL DEFAULT 'pending',
            claimed_by TEXT,
            claimed_until TEXT,
            outcome TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, key)
        );
        CREATE INDEX work_item_pending ON work_item(kind, state, id);
        """
}

extension GatewayStore {
    /// The SHA-256 (hex) of a key, as stored.
    public static func keyDigest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new key (`igw_<8 characters>_<secret>`, 32 random bytes) and its public prefix.
    public static func newKey() -> (key: String, keyID: String) {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let secret = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let keyID = "igw_" + secret.prefix(8)
        return (keyID + "_" + secret.dropFirst(8), keyID)
    }

    /// Creates a key for `partner` with `scopes`; returns the key (shown once, never stored) and its record.
    public func createAPIKey(partner: String, scopes: [String], label: String? = nil) throws -> (
        key: String, record: APIKeyRecord
    ) {
        let (key, keyID) = Self.newKey()
        let record = APIKeyRecord(
            keyID: keyID, partner: partner, scopes: scopes, label: label, createdAt: Self.now(), revokedAt: nil)
        try database.write { db in
            try db.execute(
                """
                INSERT INTO api_key (key_id, partner, sha256, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    keyID, partner, Self.keyDigest(key), scopes.joined(separator: " "), label, record.createdAt,
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
                "UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", [Self.now(), keyID]) > 0
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
                    entry.at.isEmpty ? Self.now() : entry.at, entry.actor, entry.partner, entry.action,
                    entry.subjectKind, entry.subject, entry.purpose, entry.route, entry.status,
                ])
        }
    }

    /// The audit log, oldest first, from `since` (an ISO date or date-time) and for one partner when given.
    public func auditLog(since: String? = nil, partner: String? = nil, limit: Int = 10_000) throws -> [AuditEntry] {
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
                    subjectKind: row["subject_kind"], subject: row["subject"], purpose: row["purpose"],
                    route: row["route"], status: row["status"])
            }
        }
    }

    /// A received file by its number in the ledger.
    public func receivedFile(id: Int64) throws -> ReceivedFile? {
        try database.read { db in
            try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [id])
                .map(ReceivedFile.init(row:))
        }
    }

    /// The quarantined records, newest first, with their masked key and issues (never the raw record).
    public func quarantineEntries(fileID: Int64? = nil, limit: Int = 1_000) throws -> [QuarantineEntry] {
        try database.read { db in
            let decoder = JSONDecoder()
            let filter = fileID == nil ? "" : "WHERE q.file_id = ?"
            var arguments: SQLArguments = fileID.map { [$0] } ?? []
            arguments.append(limit)
            return try db.fetchAll(
                """
                SELECT q.id, q.file_id, f.partner, f.flow, f.name, q.record_index, q.line, q.record_key, q.issues,
                q.status FROM quarantine q JOIN received_file f ON f.id = q.file_id \(filter) ORDER BY q.id DESC
                LIMIT ?
                """, arguments
            ).map { row in
                QuarantineEntry(
                    id: row["id"], fileID: row["file_id"], partner: row["partner"], flow: row["flow"],
                    file: row["name"], record: (row["record_index"] as Int) + 1, line: row["line"],
                    key: row["record_key"],
                    issues: (try? decoder.decode([ValidationIssueText].self, from: Data((row["issues"] as String).utf8)))
                        ?? [], status: row["status"])
            }
        }
    }
}

/// A quarantined record as the status route shows it: located, its key masked, its issues (values masked).
public struct QuarantineEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var fileID: Int64
    public var partner: String
    public var flow: String
    public var file: String
    /// The record's number in its file, from 1 (as in the notices).
    public var record: Int
    public var line: Int?
    public var key: String?
    public var issues: [ValidationIssueText]
    /// `open`, `waiting` (for what it refers to), `reprocessed` (applied by a replay) or `resolved`.
    public var status: String
}

/// The parts of a stored issue shown outside: type, field, place, masked value, message.
public struct ValidationIssueText: Sendable, Codable, Equatable {
    public var type: String
    public var field: String?
    public var line: Int?
    public var path: String?
    public var value: String?
    public var message: String
}

extension APIKeyRecord {
    init(row: SQLRow) {
        self.init(
            keyID: row["key_id"], partner: row["partner"],
            scopes: (row["scopes"] as String).split(separator: " ").map(String.init), label: row["label"],
            createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}
