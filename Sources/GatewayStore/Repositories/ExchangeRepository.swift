import Foundation
import GatewayCore

/// A file as a partner's location listed it, the key of a claim.
public struct ClaimKey: Sendable, Hashable {
    public var exchange: String
    public var name: String
    public var size: Int64
    public var modified: String

    public init(exchange: String, name: String, size: Int64, modified: String) {
        self.exchange = exchange
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// What a claim attempt found.
public enum ClaimOutcome: Sendable, Equatable {
    /// This gateway holds the file until the lease ends.
    case claimed
    /// The file was handled to the end before (its hash, when known).
    case done(sha256: String?)
    /// Another gateway holds it.
    case heldByOther(owner: String)
}

/// One file handled by a run, as the journal keeps it.
public struct ExchangeTransfer: Sendable, Codable, Equatable {
    public var runID: Int64
    public var exchange: String
    public var direction: RunDirection
    public var name: String
    public var size: Int64?
    public var sha256: String?
    public var fileID: Int64?
    public var outcome: TransferOutcome
    public var records: Int?
    public var accepted: Int?
    public var quarantined: Int?
    public var movedTo: String?
    public var attempts: Int
    public var durationMS: Int?
    public var at: String
    public var message: String?

    public init(
        runID: Int64, exchange: String, direction: RunDirection, name: String, outcome: TransferOutcome,
        at: String = Journal.now()
    ) {
        self.runID = runID
        self.exchange = exchange
        self.direction = direction
        self.name = name
        self.outcome = outcome
        self.attempts = 1
        self.at = at
    }
}

/// One run of an exchange, with its transfers.
public struct ExchangeRunEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var exchange: String
    public var direction: RunDirection
    public var owner: String
    public var startedAt: String
    public var finishedAt: String?
    public var outcome: RunOutcome
    public var attempts: Int
    public var files: Int
    public var bytes: Int64
    public var durationMS: Int?
    public var message: String?
    public var transfers: [ExchangeTransfer]
}

/// Time stamps of the journal: UTC, ISO 8601 with milliseconds (they sort as text).
public enum Journal {
    public static func now() -> String { stamp(Date()) }

    public static func stamp(_ date: Date) -> String {
        TimeStamp.iso8601(seconds: date.timeIntervalSince1970)
    }
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
    func enqueue(kind: String, key: String) throws -> Bool
    /// The oldest pending (or abandoned) item of `kind`, now held by `instance` for `lease`; nil when none.
    func claim(kind: String, instance: String, lease: Duration) throws -> ClaimedWork?
    /// Marks a claimed item done; false when this instance no longer holds it.
    func complete(_ work: ClaimedWork, instance: String, outcome: String) throws -> Bool
}

/// The exchanges' memory: the journal of runs and transfers, the claims on remote files (the store is the lock
/// between gateways), the files sent, each exchange's schedule state and cursor, and the work items several
/// instances share (`WorkClaims`).
public protocol ExchangeRepository: WorkClaims {
    /// Files of an exchange handled to the end before, by their listing key.
    func doneClaims(exchange: String) throws -> Set<ClaimKey>
    /// Takes a file for `owner` for `lease` seconds, in one write transaction holding the file's lock (SQLite's
    /// single writer, a PostgreSQL advisory lock): two gateways on one store never both get it. A claim whose
    /// lease ended, or whose owner `isGone`, is taken over.
    func claim(
        _ key: ClaimKey, owner: String, lease: TimeInterval, isGone: (String) -> Bool
    ) throws -> ClaimOutcome
    /// Marks a claimed file as handled to the end (imported and archived, or sent).
    func finishClaim(_ key: ClaimKey, owner: String, sha256: String?) throws
    /// Gives a file back (not ready after all, or failed): the next run tries again.
    func releaseClaim(_ key: ClaimKey, owner: String) throws
    /// Opens the journal entry of a run.
    func startRun(exchange: String, direction: RunDirection, owner: String) throws -> Int64
    func finishRun(
        id: Int64, outcome: RunOutcome, attempts: Int, files: Int, bytes: Int64, durationMS: Int, message: String?
    ) throws
    /// Runs left `running` by a gateway that is gone (killed) are marked `interrupted`.
    func markInterruptedRuns(isGone: (String) -> Bool) throws
    /// The runs of `exchanges` still running (on any gateway) that started at or after `since` (ISO 8601, UTC).
    func running(_ exchanges: Set<String>, since: String) throws -> [(exchange: String, owner: String)]
    func recordTransfer(_ transfer: ExchangeTransfer) throws
    /// The runs started at or after `since` (ISO 8601, UTC), oldest first, each with its transfers.
    func journal(since: String?, exchange: String?) throws -> [ExchangeRunEntry]
    /// The remote name a file generated as `sourceName` with this content was sent under, if it was.
    func sentFile(exchange: String, sourceName: String, sha256: String) throws -> String?
    func recordSent(
        exchange: String, sourceName: String, name: String, sha256: String, size: Int64, runID: Int64
    ) throws
    /// When the exchange last started (Unix time), and the outbound cursor (last received file covered).
    func exchangeState(_ exchange: String) throws -> (lastStarted: Double?, cursor: Int64?)
    func setCursor(_ exchange: String, _ cursor: Int64) throws
    func enqueue(kind: String, key: String) throws -> Bool
    func claim(kind: String, instance: String, lease: Duration) throws -> ClaimedWork?
    func complete(_ work: ClaimedWork, instance: String, outcome: String) throws -> Bool
}

extension ExchangeRepository {
    // The requirements with their usual arguments left out.
    public func journal(since: String?, exchange: String? = nil) throws -> [ExchangeRunEntry] {
        try journal(since: since, exchange: exchange)
    }
}

/// The exchanges in SQL, over the store's database.
public struct SQLExchangeRepository: ExchangeRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    // MARK: Claims: the store is the lock

    /// Files of an exchange handled to the end before, by their listing key.
    public func doneClaims(exchange: String) throws -> Set<ClaimKey> {
        try database.read { db in
            let rows = try db.fetchAll(
                "SELECT name, size, modified FROM exchange_claim WHERE exchange = ? AND state = 'done'", [exchange])
            return Set(rows.map { ClaimKey(exchange: exchange, name: $0[0], size: $0[1], modified: $0[2]) })
        }
    }

    /// Takes a file for `owner` for `lease` seconds, in one write transaction holding the file's lock (SQLite's
    /// single writer, a PostgreSQL advisory lock): two gateways on one store never both get it. A claim whose
    /// lease ended, or whose owner `isGone`, is taken over.
    public func claim(
        _ key: ClaimKey, owner: String, lease: TimeInterval, isGone: (String) -> Bool
    ) throws -> ClaimOutcome {
        try database.write { db in
            try db.lock("exchange_claim \(key.exchange) \(key.name) \(key.size) \(key.modified)")
            let now = Date().timeIntervalSince1970
            if let row = try db.fetchOne(
                """
                SELECT state, owner, lease_until, sha256 FROM exchange_claim
                WHERE exchange = ? AND name = ? AND size = ? AND modified = ?
                """, [key.exchange, key.name, key.size, key.modified])
            {
                let state: String = row[0]
                let holder: String? = row[1]
                let until: Double = row[2] ?? 0
                if state == "done" {
                    return .done(sha256: row[3])
                }
                if let holder, holder != owner, until > now, !isGone(holder) {
                    return .heldByOther(owner: holder)
                }
            }
            try db.execute(
                """
                INSERT INTO exchange_claim (exchange, name, size, modified, state, owner, lease_until,
                updated_at) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?)
                ON CONFLICT (exchange, name, size, modified) DO UPDATE SET state = 'claimed',
                owner = excluded.owner, lease_until = excluded.lease_until, updated_at = excluded.updated_at
                """,
                [
                    key.exchange, key.name, key.size, key.modified, owner, now + lease, Journal.now(),
                ])
            return .claimed
        }
    }

    /// Marks a claimed file as handled to the end (imported and archived, or sent).
    public func finishClaim(_ key: ClaimKey, owner: String, sha256: String?) throws {
        try database.write { db in
            try db.execute(
                """
                UPDATE exchange_claim SET state = 'done', sha256 = ?, lease_until = NULL, updated_at = ?
                WHERE exchange = ? AND name = ? AND size = ? AND modified = ? AND owner = ?
                """, [sha256, Journal.now(), key.exchange, key.name, key.size, key.modified, owner])
        }
    }

    /// Gives a file back (not ready after all, or failed): the next run tries again.
    public func releaseClaim(_ key: ClaimKey, owner: String) throws {
        try database.write { db in
            try db.execute(
                """
                DELETE FROM exchange_claim WHERE exchange = ? AND name = ? AND size = ? AND modified = ?
                AND owner = ? AND state = 'claimed'
                """, [key.exchange, key.name, key.size, key.modified, owner])
        }
    }

    // MARK: Runs and transfers

    /// Opens the journal entry of a run.
    public func startRun(exchange: String, direction: RunDirection, owner: String) throws -> Int64 {
        try database.write { db in
            let id = try db.insert(
                "INSERT INTO exchange_run (exchange, direction, owner, started_at) VALUES (?, ?, ?, ?)",
                [exchange, direction, owner, Journal.now()])
            try db.execute(
                """
                INSERT INTO exchange_state (exchange, last_started) VALUES (?, ?)
                ON CONFLICT (exchange) DO UPDATE SET last_started = excluded.last_started
                """, [exchange, Date().timeIntervalSince1970])
            return id
        }
    }

    public func finishRun(
        id: Int64, outcome: RunOutcome, attempts: Int, files: Int, bytes: Int64, durationMS: Int, message: String?
    ) throws {
        try database.write { db in
            try db.execute(
                """
                UPDATE exchange_run SET finished_at = ?, outcome = ?, attempts = ?, files = ?, bytes = ?,
                duration_ms = ?, message = ? WHERE id = ?
                """, [Journal.now(), outcome, attempts, files, bytes, durationMS, message, id])
        }
    }

    /// Runs left `running` by a gateway that is gone (killed) are marked `interrupted`.
    public func markInterruptedRuns(isGone: (String) -> Bool) throws {
        try database.write { db in
            let rows = try db.fetchAll("SELECT id, owner FROM exchange_run WHERE outcome = 'running'")
            for row in rows where isGone(row[1]) {
                try db.execute("UPDATE exchange_run SET outcome = 'interrupted' WHERE id = ?", [row[0] as Int64])
            }
        }
    }

    public func running(_ exchanges: Set<String>, since: String) throws -> [(exchange: String, owner: String)] {
        guard !exchanges.isEmpty else { return [] }
        return try database.read { db in
            let list = exchanges.sorted()
            return try db.fetchAll(
                """
                SELECT exchange, owner FROM exchange_run WHERE outcome = 'running' AND started_at >= ?
                AND exchange IN (\(list.map { _ in "?" }.joined(separator: ", "))) ORDER BY id
                """, [since] + list.map { $0 as (any SQLBindable)? }
            ).map { (exchange: $0["exchange"], owner: $0["owner"]) }
        }
    }

    public func recordTransfer(_ transfer: ExchangeTransfer) throws {
        try database.write { db in
            try db.execute(
                """
                INSERT INTO exchange_transfer (run_id, exchange, direction, name, size, sha256, file_id, outcome,
                records, accepted, quarantined, moved_to, attempts, duration_ms, at, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    transfer.runID, transfer.exchange, transfer.direction, transfer.name, transfer.size,
                    transfer.sha256, transfer.fileID, transfer.outcome, transfer.records, transfer.accepted,
                    transfer.quarantined, transfer.movedTo, transfer.attempts, transfer.durationMS, transfer.at,
                    transfer.message,
                ])
        }
    }

    /// The runs started at or after `since` (ISO 8601, UTC), oldest first, each with its transfers.
    public func journal(since: String?, exchange: String?) throws -> [ExchangeRunEntry] {
        try database.read { db in
            var sql = "SELECT * FROM exchange_run WHERE started_at >= ?"
            var arguments: SQLArguments = [since ?? ""]
            if let exchange {
                sql += " AND exchange = ?"
                arguments.append(exchange)
            }
            let runs = try db.fetchAll(sql + " ORDER BY id", arguments)
            return try runs.map { row in
                let id: Int64 = row["id"]
                let transfers = try db.fetchAll(
                    "SELECT * FROM exchange_transfer WHERE run_id = ? ORDER BY id", [id]
                ).map { t in
                    var transfer = ExchangeTransfer(
                        runID: id, exchange: t["exchange"], direction: t["direction"], name: t["name"],
                        outcome: t["outcome"], at: t["at"])
                    transfer.size = t["size"]
                    transfer.sha256 = t["sha256"]
                    transfer.fileID = t["file_id"]
                    transfer.records = t["records"]
                    transfer.accepted = t["accepted"]
                    transfer.quarantined = t["quarantined"]
                    transfer.movedTo = t["moved_to"]
                    transfer.attempts = t["attempts"]
                    transfer.durationMS = t["duration_ms"]
                    transfer.message = t["message"]
                    return transfer
                }
                return ExchangeRunEntry(
                    id: id, exchange: row["exchange"], direction: row["direction"], owner: row["owner"],
                    startedAt: row["started_at"], finishedAt: row["finished_at"], outcome: row["outcome"],
                    attempts: row["attempts"], files: row["files"], bytes: row["bytes"],
                    durationMS: row["duration_ms"], message: row["message"], transfers: transfers)
            }
        }
    }

    // MARK: Outbound

    /// The remote name a file generated as `sourceName` with this content was sent under, if it was.
    public func sentFile(exchange: String, sourceName: String, sha256: String) throws -> String? {
        try database.read { db in
            try db.fetchValue(
                "SELECT name FROM exchange_sent WHERE exchange = ? AND source_name = ? AND sha256 = ?",
                [exchange, sourceName, sha256])
        }
    }

    public func recordSent(
        exchange: String, sourceName: String, name: String, sha256: String, size: Int64, runID: Int64
    ) throws {
        try database.write { db in
            try db.execute(
                """
                INSERT INTO exchange_sent (exchange, name, sha256, size, source_name, sent_at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, [exchange, name, sha256, size, sourceName, Journal.now(), runID])
        }
    }

    /// When the exchange last started (Unix time), and the outbound cursor (last received file covered).
    public func exchangeState(_ exchange: String) throws -> (lastStarted: Double?, cursor: Int64?) {
        try database.read { db in
            guard
                let row = try db.fetchOne(
                    "SELECT last_started, cursor FROM exchange_state WHERE exchange = ?", [exchange])
            else { return (nil, nil) }
            return (row[0], row[1])
        }
    }

    public func setCursor(_ exchange: String, _ cursor: Int64) throws {
        try database.write { db in
            try db.execute(
                """
                INSERT INTO exchange_state (exchange, cursor) VALUES (?, ?)
                ON CONFLICT (exchange) DO UPDATE SET cursor = excluded.cursor
                """, [exchange, cursor])
        }
    }

    // MARK: Shared work

    public func enqueue(kind: String, key: String) throws -> Bool {
        try database.write { db in
            return try db.execute(
                "INSERT INTO work_item (kind, key, created_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO NOTHING",
                [kind, key, GatewayStore.now()]) > 0
        }
    }

    public func claim(kind: String, instance: String, lease: Duration) throws -> ClaimedWork? {
        let now = Date()
        let until = now.addingTimeInterval(
            Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
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
                    """, [instance, Journal.stamp(until), kind, Journal.stamp(now)])
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
