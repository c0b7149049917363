import Foundation
import GatewayStore
import Logging
import PostgresNIO

/// The API keys, the audit log and the shared work queue on PostgreSQL, for several gateway instances on one
/// database. The same tables as the SQLite store's migration `v4-api`; run `client.run()` (a `Service`) while using it.
public struct PostgresSharedStore: AccessStore, WorkClaims {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "insertion-gateway.postgres")) {
        self.client = client
        self.logger = logger
    }

    /// A client for `postgres://user:password@host:port/database` (TLS off: loopback or a private network).
    public static func client(url: String) throws -> PostgresClient {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql", let host = components.host
        else {
            throw PostgresURLError(description: "Adresse PostgreSQL attendue : postgres://user:pass@host:port/base")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresClient(
            configuration: .init(
                host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                password: components.password, database: database.isEmpty ? nil : database, tls: .disable))
    }

    /// Creates the tables when missing (migration `v4-api`, recorded in `gateway_migration`).
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One instance migrates at a time.
            try await connection.query("SELECT pg_advisory_xact_lock(4064201)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS gateway_migration (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
                logger: logger)
            let applied = try await connection.query(
                "SELECT id FROM gateway_migration WHERE id = 'v4-api'", logger: logger)
            for try await _ in applied { return }
            for statement in Self.v4API {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO gateway_migration (id, applied_at) VALUES ('v4-api', now())", logger: logger)
        }
    }

    static let v4API = [
        """
        CREATE TABLE api_key (
            id BIGSERIAL PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, partner TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
            scopes TEXT NOT NULL, label TEXT, created_at TEXT NOT NULL, revoked_at TEXT)
        """,
        """
        CREATE TABLE audit_log (
            id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, partner TEXT, action TEXT NOT NULL,
            subject_kind TEXT NOT NULL, subject TEXT NOT NULL, purpose TEXT NOT NULL, route TEXT, status INTEGER)
        """,
        "CREATE INDEX audit_log_at ON audit_log(at)",
        "CREATE INDEX audit_log_partner ON audit_log(partner, at)",
        """
        CREATE TABLE work_item (
            id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
            claimed_by TEXT, claimed_until TIMESTAMPTZ, outcome TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            UNIQUE (kind, key))
        """,
        "CREATE INDEX work_item_pending ON work_item(kind, state, id)",
    ]

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    // MARK: AccessStore

    public func createAPIKey(partner: String, scopes: [String], label: String?) async throws -> (
        key: String, record: APIKeyRecord
    ) {
        let (key, keyID) = GatewayStore.newKey()
        let record = APIKeyRecord(
            keyID: keyID, partner: partner, scopes: scopes, label: label, createdAt: Self.now(), revokedAt: nil)
        let digest = GatewayStore.keyDigest(key)
        let joined = scopes.joined(separator: " ")
        try await client.query(
            """
            INSERT INTO api_key (key_id, partner, sha256, scopes, label, created_at)
            VALUES (\(keyID), \(partner), \(digest), \(joined), \(label), \(record.createdAt))
            """, logger: logger)
        return (key, record)
    }

    public func apiKey(sha256: String) async throws -> APIKeyRecord? {
        try await keys(
            "SELECT key_id, partner, scopes, label, created_at, revoked_at FROM api_key WHERE sha256 = \(sha256) AND revoked_at IS NULL"
        ).first
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await keys("SELECT key_id, partner, scopes, label, created_at, revoked_at FROM api_key ORDER BY id")
    }

    private func keys(_ query: PostgresQuery) async throws -> [APIKeyRecord] {
        var records: [APIKeyRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await (keyID, partner, scopes, label, createdAt, revokedAt) in rows.decode(
            (String, String, String, String?, String, String?).self)
        {
            records.append(
                APIKeyRecord(
                    keyID: keyID, partner: partner, scopes: scopes.split(separator: " ").map(String.init),
                    label: label, createdAt: createdAt, revokedAt: revokedAt))
        }
        return records
    }

    public func revokeAPIKey(keyID: String) async throws -> Bool {
        let now = Self.now()
        let rows = try await client.query(
            "UPDATE api_key SET revoked_at = \(now) WHERE key_id = \(keyID) AND revoked_at IS NULL RETURNING id",
            logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func audit(_ entry: AuditEntry) async throws {
        let at = entry.at.isEmpty ? Self.now() : entry.at
        try await client.query(
            """
            INSERT INTO audit_log (at, actor, partner, action, subject_kind, subject, purpose, route, status)
            VALUES (\(at), \(entry.actor), \(entry.partner), \(entry.action), \(entry.subjectKind), \(entry.subject),
            \(entry.purpose), \(entry.route), \(entry.status))
            """, logger: logger)
    }

    public func auditLog(since: String?, partner: String?, limit: Int) async throws -> [AuditEntry] {
        let rows = try await client.query(
            """
            SELECT id, at, actor, partner, action, subject_kind, subject, purpose, route, status FROM audit_log
            WHERE (\(since)::text IS NULL OR at >= \(since)) AND (\(partner)::text IS NULL OR partner = \(partner))
            ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var entries: [AuditEntry] = []
        for try await (id, at, actor, partner, action, kind, subject, purpose, route, status) in rows.decode(
            (Int64, String, String, String?, String, String, String, String, String?, Int?).self)
        {
            entries.append(
                AuditEntry(
                    id: id, at: at, actor: actor, partner: partner, action: action, subjectKind: kind,
                    subject: subject, purpose: purpose, route: route, status: status))
        }
        return entries
    }

    // MARK: WorkClaims

    public func enqueue(kind: String, key: String) async throws -> Bool {
        let rows = try await client.query(
            "INSERT INTO work_item (kind, key) VALUES (\(kind), \(key)) ON CONFLICT (kind, key) DO NOTHING RETURNING id",
            logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func claim(kind: String, instance: String, lease: Duration) async throws -> ClaimedWork? {
        let seconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        // The row lock of the inner SELECT, with SKIP LOCKED, makes concurrent instances take different items
        // without waiting for each other; the outer UPDATE marks it held for the lease.
        let rows = try await client.query(
            """
            UPDATE work_item SET state = 'claimed', claimed_by = \(instance),
                claimed_until = now() + make_interval(secs => \(seconds))
            WHERE id = (SELECT id FROM work_item WHERE kind = \(kind)
                AND (state = 'pending' OR (state = 'claimed' AND claimed_until < now()))
                ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING id, kind, key
            """, logger: logger)
        for try await (id, kind, key) in rows.decode((Int64, String, String).self) {
            return ClaimedWork(id: id, kind: kind, key: key)
        }
        return nil
    }

    public func complete(_ work: ClaimedWork, instance: String, outcome: String) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE work_item SET state = 'done', outcome = \(outcome), claimed_until = NULL
            WHERE id = \(work.id) AND state = 'claimed' AND claimed_by = \(instance) RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }
}

public struct PostgresURLError: Error, CustomStringConvertible {
    public var description: String
}
