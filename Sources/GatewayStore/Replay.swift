import Foundation
import GatewayCore

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

extension GatewayStore {
    /// The open and waiting quarantined records `filter` names, oldest first.
    public func quarantined(_ filter: QuarantineFilter) throws -> [QuarantinedRecord] {
        try database.read { db in
            var clauses = [filter.waitingOnly ? "q.status = 'waiting'" : "q.status IN ('open', 'waiting')"]
            var arguments: SQLArguments = []
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
            let decoder = JSONDecoder()
            return try db.fetchAll(
                """
                SELECT q.id, q.file_id, f.partner, f.flow, f.name, q.record_index, q.line, q.record_key, q.raw,
                q.issues, q.status, f.header, f.reference_date FROM quarantine q
                JOIN received_file f ON f.id = q.file_id WHERE \(clauses.joined(separator: " AND "))
                ORDER BY q.file_id, q.record_index, q.id
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
}

/// An attempt at a file after its first (`import --retry`).
public struct FileAttempt: Sendable, Codable, Equatable {
    public var fileID: Int64
    public var attempt: Int
    public var at: String
    public var actor: String
    public var outcome: String
    public var issues: [ValidationIssue]
    public var runID: Int64?
}

extension ImportSession {
    /// Marks quarantined record `id` applied by the replay `runID`, linked to what it became.
    public func resolveQuarantined(id: Int64, runID: Int64?) throws {
        var partnerRecord: Int64?
        if let (entity, key) = lastPartnerRecord {
            partnerRecord = try db.fetchValue(
                "SELECT id FROM partner_record WHERE entity = ? AND business_key = ?", [entity, key])
        }
        try db.execute(
            """
            UPDATE quarantine SET status = 'reprocessed', resolution = 'reprocessed', resolved_at = ?,
            replay_run_id = ?, applied_household_id = ?, applied_partner_record_id = ?, waiting_for = NULL
            WHERE id = ? AND status IN ('open', 'waiting')
            """, [GatewayStore.now(), runID, lastHousehold, partnerRecord, id])
    }

    /// Keeps quarantined record `id` with the errors a replay found (waiting when `waitingFor` names what it waits
    /// for); nothing is written when they are those it had.
    public func keepQuarantined(id: Int64, issues: [ValidationIssue], waitingFor: String?) throws {
        let encoded = String(decoding: try GatewayStore.encoder.encode(issues), as: UTF8.self)
        try db.execute(
            """
            UPDATE quarantine SET issues = ?, status = ?, waiting_for = ? WHERE id = ?
            AND (issues <> ? OR status <> ? OR COALESCE(waiting_for, '') <> ?)
            """,
            [
                encoded, waitingFor == nil ? "open" : "waiting", waitingFor, id, encoded,
                waitingFor == nil ? "open" : "waiting", waitingFor ?? "",
            ])
    }
}
