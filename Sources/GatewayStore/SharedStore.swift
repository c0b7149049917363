import Foundation

/// API keys and the audit log, on whichever database the gateway instances share: the embedded SQLite store, or
/// PostgreSQL (`GatewayStorePostgres`). Both pass the same test suite.
public protocol AccessStore: Sendable {
    func createAPIKey(partner: String, scopes: [String], label: String?) async throws -> (
        key: String, record: APIKeyRecord
    )
    func apiKey(sha256: String) async throws -> APIKeyRecord?
    func apiKeys() async throws -> [APIKeyRecord]
    func revokeAPIKey(keyID: String) async throws -> Bool
    func audit(_ entry: AuditEntry) async throws
    func auditLog(since: String?, partner: String?, limit: Int) async throws -> [AuditEntry]
}

/// An item of shared work, claimed by one instance.
public struct ClaimedWork: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var key: String

    public init(id: Int64, kind: String, key: String) {
        self.id = id
        self.kind = kind
        self.key = key
    }
}

/// Work several gateway instances share without doing any twice: an item (a pushed file waiting to be imported, a
/// scheduled exchange's run) is enqueued once per (kind, key), claimed by one instance for a lease (others skip it
/// rather than wait: `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite), then marked done. A
/// claim whose lease ran out (its instance died) can be claimed again.
public protocol WorkClaims: Sendable {
    /// True when the item is new; enqueuing the same (kind, key) again does nothing.
    func enqueue(kind: String, key: String) async throws -> Bool
    /// The oldest pending (or abandoned) item of `kind`, now held by `instance` for `lease`; nil when none.
    func claim(kind: String, instance: String, lease: Duration) async throws -> ClaimedWork?
    /// Marks a claimed item done; false when this instance no longer holds it.
    func complete(_ work: ClaimedWork, instance: String, outcome: String) async throws -> Bool
}

/// The embedded store's synchronous methods (AccessControl.swift) are the requirements.
extension GatewayStore: AccessStore {}

extension GatewayStore: WorkClaims {
    public func enqueue(kind: String, key: String) throws -> Bool {
        try database.write { db in
            return try db.execute(
                "INSERT INTO work_item (kind, key, created_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO NOTHING",
                [kind, key, Self.now()]) > 0
        }
    }

    public func claim(kind: String, instance: String, lease: Duration) throws -> ClaimedWork? {
        let now = Date()
        let until = now.addingTimeInterval(
            Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // One writer at a time in SQLite: the select and the update run in one write transaction, so two instances
        // on the same file never claim the same item. On PostgreSQL the inner select locks the row it picks and
        // skips rows another transaction holds: without it, two instances would pick the same row, and the second
        // would take it over once the first committed.
        return try database.write { db in
            guard
                let row = try db.fetchOne(
                    """
                    UPDATE work_item SET state = 'claimed', claimed_by = ?, claimed_until = ?
                    WHERE id = (SELECT id FROM work_item WHERE kind = ?
                        AND (state = 'pending' OR (state = 'claimed' AND claimed_until < ?)) ORDER BY id LIMIT 1\(db.dialect.skipLocked))
                    RETURNING id, kind, key
                    """, [instance, formatter.string(from: until), kind, formatter.string(from: now)])
            else { return nil }
            return ClaimedWork(id: row["id"], kind: row["kind"], key: row["key"])
        }
    }

    public func complete(_ work: ClaimedWork, instance: String, outcome: String) throws -> Bool {
        try database.write { db in
            return try db.execute(
                """
                UPDATE work_item SET state = 'done', outcome = ?, claimed_until = NULL
                WHERE id = ? AND state = 'claimed' AND claimed_by = ?
                """, [outcome, work.id, instance]) > 0
        }
    }
}
