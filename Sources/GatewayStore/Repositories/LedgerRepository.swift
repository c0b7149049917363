import Foundation
import GatewayCore

/// A file as received, before it is applied: who sent it, its name, size and content hash.
public struct FileArrival: Sendable {
    public var partner: String
    public var flow: String
    public var name: String
    public var size: Int
    public var sha256: String

    public init(partner: String, flow: String, name: String, size: Int, sha256: String) {
        self.partner = partner
        self.flow = flow
        self.name = name
        self.size = size
        self.sha256 = sha256
    }
}

/// What the ledger holds about a received file.
public struct ReceivedFile: Sendable, Codable, Equatable {
    public var id: Int64
    public var partner: String
    public var flow: String
    public var sha256: String
    public var name: String
    public var size: Int
    public var receivedAt: String
    /// `applied`, `rejected` (read but refused as a whole) or `unreadable`.
    public var outcome: FileOutcome
    public var referenceDate: String?
    public var records: Int
    public var accepted: Int
    public var duplicates: Int
    public var quarantined: Int
    public var statusChanges: Int
    public var issues: [ValidationIssue]
    public var keptPath: String?
    /// Anomalies stored with the file (plausibility checks set to warn).
    public var anomalies: Int = 0
    /// Of the quarantined records, those waiting for what they refer to (not errors of the partner's).
    public var waiting: Int = 0
    /// How many times the file was read: 1, more after `import --retry`.
    public var attempts: Int = 1

    /// Its counts as the ledger keeps them (unmatched partner records are not kept per file).
    public var counts: ImportCounts {
        var counts = ImportCounts()
        counts.records = records
        counts.accepted = accepted
        counts.duplicates = duplicates
        counts.quarantined = quarantined
        counts.statusChanges = statusChanges
        counts.anomalies = anomalies
        counts.waiting = waiting
        return counts
    }

    /// Whether the partner gets a notice of this file (`ImportCounts.needsNotice`).
    public func needsNotice(listingAnomalies: Bool) -> Bool {
        counts.needsNotice(applied: outcome == .applied, listingAnomalies: listingAnomalies)
    }
}

/// A later attempt at a file refused whole: its ledger number, who asks, and the journal run it belongs to.
public struct FileRetry: Sendable {
    public var fileID: Int64
    public var actor: String
    public var runID: Int64?

    public init(fileID: Int64, actor: String, runID: Int64?) {
        self.fileID = fileID
        self.actor = actor
        self.runID = runID
    }
}

/// The counts a file's import ends with. `records == accepted + duplicates + quarantined`.
public struct ImportCounts: Sendable, Codable, Equatable {
    public var records = 0
    public var accepted = 0
    public var duplicates = 0
    public var quarantined = 0
    public var statusChanges = 0
    /// Partner records accepted but matched to no known person (kept, linked when they can be).
    public var unmatched = 0
    /// Anomalies stored (plausibility findings set to warn, on records and on the file).
    public var anomalies = 0
    /// Of the quarantined, those kept waiting for what they refer to (a feedback before its proposal).
    public var waiting = 0

    public init() {}

    /// Whether the partner gets a notice of a file with these counts: it was refused (not `applied`), some records
    /// were quarantined (not merely waiting), or its flow's notice lists anomalies (`listingAnomalies`) and it has
    /// some.
    public func needsNotice(applied: Bool, listingAnomalies: Bool) -> Bool {
        !applied || quarantined > waiting || (listingAnomalies && anomalies > 0)
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
    public var issues: [ReportedIssue]
    /// `open`, `waiting` (for what it refers to), `reprocessed` (applied by a replay) or `resolved`.
    public var status: String
    /// Why it was closed by hand (`resolved`), or `reprocessed`.
    public var resolution: String? = nil
    /// When its file was received (UTC, ISO 8601).
    public var receivedAt: String? = nil
}

/// How many quarantined records a partner's flow has in one status.
public struct QuarantineCount: Sendable, Equatable {
    public var partner: String
    public var flow: String
    public var status: String
    public var count: Int
}

/// Which quarantined records a list shows: a replay's filter (file, flow, partner, error type, record), a status
/// and the day their file arrived from; newest first, `limit` at most.
public struct QuarantineQuery: Sendable, Equatable {
    public var filter: QuarantineFilter
    /// `open`, `waiting`, `reprocessed`, `resolved`; nil for all.
    public var status: String?
    /// Files received on this day (AAAA-MM-JJ) or after.
    public var since: LocalDate?
    public var limit: Int

    public init(
        filter: QuarantineFilter = QuarantineFilter(), status: String? = nil, since: LocalDate? = nil,
        limit: Int = 1_000
    ) {
        self.filter = filter
        self.status = status
        self.since = since
        self.limit = limit
    }
}

/// Which quarantined records a replay takes: by file, flow, partner, error type or record (all that are given).
public struct QuarantineFilter: Sendable, Codable, Equatable, CustomStringConvertible {
    public var fileID: Int64?
    public var flow: String?
    public var partner: String?
    /// An issue type (`constraint-error`…) or a plausibility check (`household-without-applicant`…).
    public var type: String?
    /// One quarantined record, by its number in the quarantine.
    public var record: Int64?
    /// Only the records waiting for what they refer to (feedback before its proposal).
    public var waitingOnly = false

    public init(
        fileID: Int64? = nil, flow: String? = nil, partner: String? = nil, type: String? = nil, record: Int64? = nil,
        waitingOnly: Bool = false
    ) {
        self.fileID = fileID
        self.flow = flow
        self.partner = partner
        self.type = type
        self.record = record
        self.waitingOnly = waitingOnly
    }

    public var description: String {
        var parts: [String] = []
        if let fileID { parts.append("fichier \(fileID)") }
        if let flow { parts.append("flux \(flow)") }
        if let partner { parts.append("partenaire \(partner)") }
        if let type { parts.append("type \(type)") }
        if let record { parts.append("enregistrement \(record)") }
        if waitingOnly { parts.append("en attente") }
        return parts.isEmpty ? "toute la quarantaine" : parts.joined(separator: ", ")
    }
}

/// A quarantined record as a replay reads it: where it came from, its raw text and what refused it.
public struct QuarantinedRecord: Sendable {
    public var id: Int64
    public var fileID: Int64
    public var partner: String
    public var flow: String
    public var fileName: String
    /// 0-based, as the readers count.
    public var recordIndex: Int
    public var line: Int?
    public var key: String?
    public var raw: String
    public var issues: [ValidationIssue]
    /// `open` or `waiting`.
    public var status: String
    /// The CSV header line of its file, when the file was CSV.
    public var header: String?
    public var referenceDate: LocalDate?
}

/// An attempt at a file after its first (`import --retry`).
public struct FileAttempt: Sendable, Codable, Equatable {
    public var fileID: Int64
    public var attempt: Int
    public var at: String
    public var actor: String
    public var outcome: FileOutcome
    public var issues: [ValidationIssue]
    public var runID: Int64?
}

/// An anomaly as stored: a finding of a plausibility check set to warn, with its file and record.
public struct StoredAnomaly: Sendable, Codable, Equatable {
    public var fileID: Int64
    public var file: String
    /// The record's number in its file (1-based); nil for the file.
    public var record: Int?
    public var key: String?
    public var check: String
    public var issue: ValidationIssue
}

/// The ledger of received files: what came in, applying a file in one transaction (the import session),
/// refused files and their retries, the quarantine and its replay.
public protocol LedgerRepository: Sendable {
    /// The ledger entry for a file already received from `partner` with this content, if any.
    func receivedFile(partner: String, sha256: String) throws -> ReceivedFile?
    /// Every received file, oldest first.
    func receivedFiles() throws -> [ReceivedFile]
    /// Applies a file in one transaction: `work` upserts and quarantines through the session; if it throws,
    /// nothing of the file is kept (not even its ledger entry) and the error is rethrown. Throws
    /// `FileAlreadyReceived` when the ledger holds the file by the time the transaction records it (another
    /// instance applied it meanwhile).
    ///
    /// `retry`: the file is the ledger's entry of that number, refused before (`import --retry`): it is applied in
    /// that entry (whose later attempt `retry.attempt` records), never a second time once applied.
    func apply(
        _ arrival: FileArrival, referenceDate: LocalDate?, retry: FileRetry?,
        _ work: (ImportSession) throws -> Void
    ) throws -> (ReceivedFile, ImportCounts)
    /// Records a file that was not applied (unreadable, or refused as a whole) with its reasons, so it is
    /// reported and recognised when it comes again. When the ledger already holds it (another instance recorded
    /// it meanwhile), that entry is returned.
    @discardableResult
    func recordRefusedFile(
        _ arrival: FileArrival, outcome: FileOutcome, records: Int, issues: [ValidationIssue], keptPath: String?
    ) throws -> ReceivedFile
    /// Records a retry that failed again: the entry keeps its outcome and gets the new reasons, and the attempt is
    /// recorded.
    func recordFailedRetry(_ retry: FileRetry, outcome: FileOutcome, issues: [ValidationIssue]) throws -> ReceivedFile
    /// A received file by its number in the ledger.
    func receivedFile(id: Int64) throws -> ReceivedFile?
    /// The quarantined records `query` names, newest first, with their masked key and issues (never the raw record).
    func quarantineEntries(_ query: QuarantineQuery) throws -> [QuarantineEntry]
    /// The quarantine counted by partner, flow and status (one SQL GROUP BY: no record is read).
    func quarantineCounts() throws -> [QuarantineCount]
    /// One quarantined record with its raw text, whatever its status.
    func quarantinedRecord(id: Int64) throws -> QuarantinedRecord?
    /// Closes an open or waiting quarantined record by hand with `reason`; false when none is open with this id.
    func resolveQuarantined(id: Int64, reason: String) throws -> Bool
    /// The open and waiting quarantined records `filter` names, oldest first.
    func quarantined(_ filter: QuarantineFilter) throws -> [QuarantinedRecord]
    /// Applies replayed records of the file `fileID` in one transaction, through a session on that file: what they
    /// become keeps the file they came from. The ledger entry is not touched.
    func replay(fileID: Int64, referenceDate: LocalDate?, _ work: (ImportSession) throws -> Void) throws
    /// The attempts at a file after its first: when, by whom, with what outcome.
    func fileAttempts(fileID: Int64) throws -> [FileAttempt]
    /// The anomalies stored with a file's records (not those of the file itself, which its ledger entry holds).
    func recordAnomalies(fileID: Int64) throws -> [StoredAnomaly]
    /// The quarantined records and file-level issues of a received file, for its rejection notice.
    func rejections(fileID: Int64) throws -> (file: ReceivedFile, records: [(Int, Int?, [ValidationIssue])])?
    /// The id of the last file in the ledger (0 when empty).
    func lastReceivedFileID() throws -> Int64
}

extension LedgerRepository {
    // The requirements with their usual arguments left out.
    public func apply(
        _ arrival: FileArrival, referenceDate: LocalDate?, retry: FileRetry? = nil,
        _ work: (ImportSession) throws -> Void
    ) throws -> (ReceivedFile, ImportCounts) {
        try apply(arrival, referenceDate: referenceDate, retry: retry, work)
    }

    public func quarantineEntries(fileID: Int64? = nil, limit: Int = 1_000) throws -> [QuarantineEntry] {
        try quarantineEntries(QuarantineQuery(filter: QuarantineFilter(fileID: fileID), limit: limit))
    }
}

/// The ledger in SQL, over the store's database (SQLite or PostgreSQL).
public struct SQLLedgerRepository: LedgerRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// The ledger entry for a file already received from `partner` with this content, if any.
    public func receivedFile(partner: String, sha256: String) throws -> ReceivedFile? {
        try database.read { db in
            try db.fetchOne("SELECT * FROM received_file WHERE partner = ? AND sha256 = ?", [partner, sha256])
                .map(ReceivedFile.init(row:))
        }
    }

    /// Every received file, oldest first.
    public func receivedFiles() throws -> [ReceivedFile] {
        try database.read { db in
            try db.fetchAll("SELECT * FROM received_file ORDER BY id").map(ReceivedFile.init(row:))
        }
    }

    /// Applies a file in one transaction: `work` upserts and quarantines through the session; if it throws,
    /// nothing of the file is kept (not even its ledger entry) and the error is rethrown. Throws
    /// `FileAlreadyReceived` when the ledger holds the file by the time the transaction records it (another
    /// instance applied it meanwhile).
    ///
    /// `retry`: the file is the ledger's entry of that number, refused before (`import --retry`): it is applied in
    /// that entry (whose later attempt `retry.attempt` records), never a second time once applied.
    public func apply(
        _ arrival: FileArrival, referenceDate: LocalDate?, retry: FileRetry?,
        _ work: (ImportSession) throws -> Void
    ) throws -> (ReceivedFile, ImportCounts) {
        try database.write(bulk: true) { db in
            // One file applied at a time, across gateway instances, as SQLite's single writer does: a file's changes
            // are derived from the state the files before it left (two CNAF months at once would both insert the
            // same households). The ledger's unique (partner, sha256) then decides between two instances importing
            // the same file: the second, once the first has committed, inserts nothing.
            try db.lock("apply")
            if let retry {
                guard
                    try db.execute(
                        """
                        UPDATE received_file SET outcome = 'applied', attempts = attempts + 1, issues = '[]'
                        WHERE id = ? AND outcome <> 'applied'
                        """, [retry.fileID]) == 1
                else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
                try Self.recordAttempt(db, retry, outcome: .applied, issues: [])
            } else {
                guard
                    try db.execute(
                        """
                        INSERT INTO received_file (id, partner, flow, sha256, name, size, received_at, outcome,
                        reference_date) VALUES (?, ?, ?, ?, ?, ?, ?, 'applied', ?) ON CONFLICT (partner, sha256) DO NOTHING
                        """,
                        [
                            try Self.nextLedgerID(db), arrival.partner, arrival.flow, arrival.sha256, arrival.name,
                            arrival.size,
                            GatewayStore.now(),
                            referenceDate?.iso,
                        ]) == 1
                else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
            }
            let fileID = try retry?.fileID ?? Self.ledgerID(db, arrival)
            let session = try ImportSession(db: db, fileID: fileID, referenceDate: referenceDate)
            try work(session)
            try session.finish()
            let counts = session.counts
            let issues = String(decoding: try GatewayStore.encoder.encode(session.fileIssues), as: UTF8.self)
            try db.execute(
                """
                UPDATE received_file SET records = ?, accepted = ?, duplicates = ?, quarantined = ?,
                status_changes = ?, issues = ?, reference_date = ?, anomalies = ?, waiting = ?, header = ?
                WHERE id = ?
                """,
                [
                    counts.records, counts.accepted, counts.duplicates, counts.quarantined, counts.statusChanges,
                    issues, session.referenceDate?.iso, counts.anomalies, counts.waiting, session.fileHeader, fileID,
                ])
            let file = try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [fileID])
                .map(ReceivedFile.init(row:))!
            return (file, counts)
        }
    }

    /// The number the next file gets in the ledger: one more than the last, taken under the "apply" lock. Not a
    /// sequence: PostgreSQL's would lose a number to every transaction rolled back (a gateway killed mid-import),
    /// and files, their quarantine and the notices sent to partners (`rejets-<n>-…`) would be numbered with gaps.
    private static func nextLedgerID(_ db: any StoreConnection) throws -> Int64 {
        try db.fetchValue("SELECT COALESCE(MAX(id), 0) + 1 FROM received_file") ?? 1
    }

    private static func ledgerID(_ db: any StoreConnection, _ arrival: FileArrival) throws -> Int64 {
        guard
            let id: Int64 = try db.fetchValue(
                "SELECT id FROM received_file WHERE partner = ? AND sha256 = ?", [arrival.partner, arrival.sha256])
        else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
        return id
    }

    /// Records a file that was not applied (unreadable, or refused as a whole) with its reasons, so it is
    /// reported and recognised when it comes again. When the ledger already holds it (another instance recorded
    /// it meanwhile), that entry is returned.
    @discardableResult
    public func recordRefusedFile(
        _ arrival: FileArrival, outcome: FileOutcome, records: Int, issues: [ValidationIssue], keptPath: String?
    ) throws -> ReceivedFile {
        let encoded = String(decoding: try GatewayStore.encoder.encode(issues), as: UTF8.self)
        return try database.write { db in
            try db.lock("apply")
            try db.execute(
                """
                INSERT INTO received_file (id, partner, flow, sha256, name, size, received_at, outcome, records,
                issues, kept_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner, sha256) DO NOTHING
                """,
                [
                    try Self.nextLedgerID(db), arrival.partner, arrival.flow, arrival.sha256, arrival.name,
                    arrival.size, GatewayStore.now(),
                    outcome,
                    records, encoded, keptPath,
                ])
            return try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [try Self.ledgerID(db, arrival)])
                .map(ReceivedFile.init(row:))!
        }
    }

    /// Records a retry that failed again: the entry keeps its outcome and gets the new reasons, and the attempt is
    /// recorded.
    public func recordFailedRetry(_ retry: FileRetry, outcome: FileOutcome, issues: [ValidationIssue]) throws
        -> ReceivedFile
    {
        let encoded = String(decoding: try GatewayStore.encoder.encode(issues), as: UTF8.self)
        return try database.write { db in
            try db.execute(
                "UPDATE received_file SET outcome = ?, issues = ?, attempts = attempts + 1 WHERE id = ? AND outcome <> 'applied'",
                [outcome, encoded, retry.fileID])
            try Self.recordAttempt(db, retry, outcome: outcome, issues: issues)
            return try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [retry.fileID])
                .map(ReceivedFile.init(row:))!
        }
    }

    private static func recordAttempt(
        _ db: any StoreConnection, _ retry: FileRetry, outcome: FileOutcome, issues: [ValidationIssue]
    ) throws {
        let attempt: Int = try db.fetchValue("SELECT attempts FROM received_file WHERE id = ?", [retry.fileID]) ?? 2
        try db.execute(
            """
            INSERT INTO file_attempt (file_id, attempt, at, actor, outcome, issues, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (file_id, attempt) DO NOTHING
            """,
            [
                retry.fileID, attempt, GatewayStore.now(), retry.actor, outcome,
                String(decoding: try GatewayStore.encoder.encode(issues), as: UTF8.self), retry.runID,
            ])
    }

    /// A received file by its number in the ledger.
    public func receivedFile(id: Int64) throws -> ReceivedFile? {
        try database.read { db in
            try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [id])
                .map(ReceivedFile.init(row:))
        }
    }

    /// The quarantined records `query` names, newest first, with their masked key and issues (never the raw record).
    public func quarantineEntries(_ query: QuarantineQuery) throws -> [QuarantineEntry] {
        try database.read { db in
            let decoder = JSONDecoder()
            let (where_, arguments) = Self.quarantineClauses(
                query.filter, statuses: (query.filter.waitingOnly ? "waiting" : query.status).map { [$0] },
                since: query.since)
            // The error type is read from the issues (JSON): the rows are then filtered here, before the limit.
            var limited = arguments
            if query.filter.type == nil { limited.append(query.limit) }
            let entries = try db.fetchAll(
                """
                SELECT q.id, q.file_id, f.partner, f.flow, f.name, q.record_index, q.line, q.record_key, q.issues,
                q.status, q.resolution, f.received_at FROM quarantine q JOIN received_file f ON f.id = q.file_id
                \(where_) ORDER BY q.id DESC \(query.filter.type == nil ? "LIMIT ?" : "")
                """, limited
            ).compactMap { row -> QuarantineEntry? in
                let issues =
                    (try? decoder.decode([ReportedIssue].self, from: Data((row["issues"] as String).utf8))) ?? []
                if let type = query.filter.type, !issues.contains(where: { $0.type == type || $0.check == type }) {
                    return nil
                }
                return QuarantineEntry(
                    id: row["id"], fileID: row["file_id"], partner: row["partner"], flow: row["flow"],
                    file: row["name"], record: (row["record_index"] as Int) + 1, line: row["line"],
                    key: row["record_key"], issues: issues, status: row["status"], resolution: row["resolution"],
                    receivedAt: row["received_at"])
            }
            return Array(entries.prefix(query.limit))
        }
    }

    /// The `WHERE` clause of a quarantine query (alias `q`, its file `f`) and its arguments; the error type is
    /// filtered by the caller, in the issues.
    static func quarantineClauses(
        _ filter: QuarantineFilter, statuses: [String]?, since: LocalDate? = nil
    ) -> (String, SQLArguments) {
        var clauses: [String] = []
        var arguments: SQLArguments = []
        if let statuses {
            clauses.append("q.status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))")
            for status in statuses { arguments.append(status) }
        }
        if let fileID = filter.fileID {
            clauses.append("q.file_id = ?")
            arguments.append(fileID)
        }
        if let flow = filter.flow {
            clauses.append("f.flow = ?")
            arguments.append(flow)
        }
        if let partner = filter.partner {
            clauses.append("f.partner = ?")
            arguments.append(partner)
        }
        if let record = filter.record {
            clauses.append("q.id = ?")
            arguments.append(record)
        }
        if let since {
            clauses.append("f.received_at >= ?")
            arguments.append(since.iso)
        }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    /// The quarantine counted by partner, flow and status (one SQL GROUP BY: no record is read).
    public func quarantineCounts() throws -> [QuarantineCount] {
        try database.read { db in
            try db.fetchAll(
                """
                SELECT f.partner, f.flow, q.status, COUNT(*) FROM quarantine q JOIN received_file f ON f.id = q.file_id
                GROUP BY f.partner, f.flow, q.status ORDER BY f.partner, f.flow, q.status
                """
            ).map { row in QuarantineCount(partner: row[0], flow: row[1], status: row[2], count: row[3]) }
        }
    }

    /// One quarantined record with its raw text, whatever its status.
    public func quarantinedRecord(id: Int64) throws -> QuarantinedRecord? {
        try quarantinedRecords(QuarantineFilter(record: id), statuses: nil).first
    }

    /// Closes an open or waiting quarantined record by hand with `reason`; false when none is open with this id.
    public func resolveQuarantined(id: Int64, reason: String) throws -> Bool {
        try database.write { db in
            try db.execute(
                """
                UPDATE quarantine SET status = 'resolved', resolution = ?, resolved_at = ?, waiting_for = NULL
                WHERE id = ? AND status IN ('open', 'waiting')
                """, [reason, GatewayStore.now(), id]) > 0
        }
    }

    /// The open and waiting quarantined records `filter` names, oldest first.
    public func quarantined(_ filter: QuarantineFilter) throws -> [QuarantinedRecord] {
        try quarantinedRecords(filter, statuses: filter.waitingOnly ? ["waiting"] : ["open", "waiting"])
    }

    /// The quarantined records `filter` names with their raw text, in `statuses` (all when nil), oldest first.
    func quarantinedRecords(_ filter: QuarantineFilter, statuses: [String]?) throws -> [QuarantinedRecord] {
        try database.read { db in
            let (where_, arguments) = Self.quarantineClauses(filter, statuses: statuses)
            let decoder = JSONDecoder()
            return try db.fetchAll(
                """
                SELECT q.id, q.file_id, f.partner, f.flow, f.name, q.record_index, q.line, q.record_key, q.raw,
                q.issues, q.status, f.header, f.reference_date FROM quarantine q
                JOIN received_file f ON f.id = q.file_id \(where_) ORDER BY q.file_id, q.record_index, q.id
                """, arguments
            ).compactMap { row -> QuarantinedRecord? in
                let issues =
                    (try? decoder.decode([ValidationIssue].self, from: Data((row[9] as String).utf8))) ?? []
                if let type = filter.type, !issues.contains(where: { $0.type.rawValue == type || $0.check == type }) {
                    return nil
                }
                let reference: String? = row[12]
                return QuarantinedRecord(
                    id: row[0], fileID: row[1], partner: row[2], flow: row[3], fileName: row[4], recordIndex: row[5],
                    line: row[6], key: row[7], raw: row[8], issues: issues, status: row[10], header: row[11],
                    referenceDate: reference.flatMap(LocalDate.init(iso:)))
            }
        }
    }

    /// Applies replayed records of the file `fileID` in one transaction, through a session on that file: what they
    /// become keeps the file they came from. The ledger entry is not touched.
    public func replay(fileID: Int64, referenceDate: LocalDate?, _ work: (ImportSession) throws -> Void) throws {
        try database.write(bulk: true) { db in
            try db.lock("apply")
            let session = try ImportSession(db: db, fileID: fileID, referenceDate: referenceDate)
            try work(session)
            try session.finish()
        }
    }

    /// The attempts at a file after its first: when, by whom, with what outcome.
    public func fileAttempts(fileID: Int64) throws -> [FileAttempt] {
        try database.read { db in
            try db.fetchAll(
                "SELECT attempt, at, actor, outcome, issues, run_id FROM file_attempt WHERE file_id = ? ORDER BY attempt",
                [fileID]
            ).map { row in
                FileAttempt(
                    fileID: fileID, attempt: row[0], at: row[1], actor: row[2], outcome: row[3],
                    issues: (try? JSONDecoder().decode([ValidationIssue].self, from: Data((row[4] as String).utf8)))
                        ?? [], runID: row[5])
            }
        }
    }

    /// The anomalies stored with a file's records (not those of the file itself, which its ledger entry holds).
    public func recordAnomalies(fileID: Int64) throws -> [StoredAnomaly] {
        try database.read { db in
            try GatewayStore.anomalies(db, where: "a.file_id = ? AND a.record_index IS NOT NULL", [fileID])
        }
    }

    /// The quarantined records and file-level issues of a received file, for its rejection notice.
    public func rejections(fileID: Int64) throws -> (file: ReceivedFile, records: [(Int, Int?, [ValidationIssue])])? {
        try database.read { db in
            guard
                let file = try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [fileID])
                    .map(ReceivedFile.init(row:))
            else { return nil }
            let decoder = JSONDecoder()
            let records = try db.fetchAll(
                """
                SELECT record_index, line, issues FROM quarantine WHERE file_id = ? AND status <> 'waiting'
                ORDER BY record_index
                """, [fileID]
            ).map { row -> (Int, Int?, [ValidationIssue]) in
                let issues =
                    (try? decoder.decode([ValidationIssue].self, from: Data((row["issues"] as String).utf8))) ?? []
                return (row["record_index"], row["line"], issues)
            }
            return (file, records)
        }
    }

    /// The id of the last file in the ledger (0 when empty).
    public func lastReceivedFileID() throws -> Int64 {
        try database.read { db in try db.fetchValue("SELECT MAX(id) FROM received_file") ?? 0 }
    }
}

extension GatewayStore {
    static func anomalies(_ db: any StoreConnection, where clause: String, _ arguments: [Int64]) throws
        -> [StoredAnomaly]
    {
        try db.fetchAll(
            """
            SELECT a.file_id, f.name, a.record_index, a.record_key, a.check_id, a.type, a.field, a.line, a.path,
            a.value, a.message FROM anomaly a JOIN received_file f ON f.id = a.file_id WHERE \(clause)
            ORDER BY a.id
            """, arguments.map { $0 }
        ).map { row in
            let index: Int? = row[2]
            let check: String = row[4]
            return StoredAnomaly(
                fileID: row[0], file: row[1], record: index.map { $0 + 1 }, key: row[3], check: check,
                issue: ValidationIssue(
                    type: IssueType(rawValue: row[5]) ?? .constraintError, field: row[6], line: row[7], path: row[8],
                    value: row[9], message: row[10], check: PlausibilityCheck(rawValue: check)))
        }
    }

}

extension ReceivedFile {
    init(row: SQLRow) {
        let issuesText: String = row["issues"] ?? "[]"
        self.init(
            id: row["id"], partner: row["partner"], flow: row["flow"], sha256: row["sha256"], name: row["name"],
            size: row["size"], receivedAt: row["received_at"], outcome: row["outcome"],
            referenceDate: row["reference_date"], records: row["records"], accepted: row["accepted"],
            duplicates: row["duplicates"], quarantined: row["quarantined"], statusChanges: row["status_changes"],
            issues: (try? JSONDecoder().decode([ValidationIssue].self, from: Data(issuesText.utf8))) ?? [],
            keptPath: row["kept_path"], anomalies: row["anomalies"] ?? 0, waiting: row["waiting"] ?? 0,
            attempts: row["attempts"] ?? 1)
    }
}
