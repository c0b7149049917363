import Foundation

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
    public var direction: String
    public var name: String
    public var size: Int64?
    public var sha256: String?
    public var fileID: Int64?
    public var outcome: String
    public var records: Int?
    public var accepted: Int?
    public var quarantined: Int?
    public var movedTo: String?
    public var attempts: Int
    public var durationMS: Int?
    public var at: String
    public var message: String?

    public init(
        runID: Int64, exchange: String, direction: String, name: String, outcome: String, at: String = Journal.now()
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
    public var direction: String
    public var owner: String
    public var startedAt: String
    public var finishedAt: String?
    public var outcome: String
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
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension GatewayStore {
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
    public func startRun(exchange: String, direction: String, owner: String) throws -> Int64 {
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
        id: Int64, outcome: String, attempts: Int, files: Int, bytes: Int64, durationMS: Int, message: String?
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
    public func journal(since: String?, exchange: String? = nil) throws -> [ExchangeRunEntry] {
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

    /// The id of the last file in the ledger (0 when empty).
    public func lastReceivedFileID() throws -> Int64 {
        try database.read { db in try db.fetchValue("SELECT MAX(id) FROM received_file") ?? 0 }
    }
}
