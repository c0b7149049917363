import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayStore
import Logging

/// What a replay of quarantined records did.
public struct ReplayReport: Sendable, Codable {
    /// The journal run of the replay.
    public var runID: Int64
    /// The records asked for, in words.
    public var filter: String
    public var records = 0
    /// Applied now, with the usual matching and status changes; their quarantine entry is marked reprocessed.
    public var applied = 0
    /// Refused again, with the errors found now.
    public var quarantined = 0
    /// Still waiting for what they refer to (a feedback before its proposal).
    public var waiting = 0
    public var statusChanges = 0
    /// The errors of the records refused again (numbered in their own file, from 1).
    public var errors: [ReportedIssue] = []

    /// 0 when every record was applied (or is waiting), 1 when some were refused again.
    public var exitCode: Int32 { quarantined > 0 ? 1 : 0 }
}

/// Brings back what was refused once its cause is fixed: quarantined records run again through the current
/// mappings and rules (`reprocess`), and files refused whole read again from their kept copy (`retry`). Both are
/// journaled (exchange `reprocess` or `retry`) and audited; neither ever applies a record or a file twice.
public struct Replayer {
    public let flows: [String: FlowMapping]
    public let ledger: any LedgerRepository
    public let exchanges: any ExchangeRepository
    public let access: any AccessRepository
    public var logger: Logger

    /// A replayer over the repositories it uses: the ledger (quarantine, replay), the journal, the audit log.
    public init(
        flows: [String: FlowMapping], ledger: any LedgerRepository, exchanges: any ExchangeRepository,
        access: any AccessRepository, logger: Logger
    ) {
        self.flows = flows
        self.ledger = ledger
        self.exchanges = exchanges
        self.access = access
        self.logger = logger
    }

    /// A replayer over the store's repositories.
    public init(flows: [String: FlowMapping], store: GatewayStore, logger: Logger) {
        self.init(
            flows: flows, ledger: store.ledger, exchanges: store.exchanges, access: store.access, logger: logger)
    }

    /// Runs the quarantined records `filter` names through the current mappings and rules: each that passes is
    /// applied in its file's name (matching, status changes), and its entry marked reprocessed and linked to what it
    /// became; each that fails keeps its entry, with the errors found now. Running it again changes nothing.
    public func reprocess(_ filter: QuarantineFilter, actor: String) throws -> ReplayReport {
        let entries = try ledger.quarantined(filter)
        let started = Date()
        let runID = try exchanges.startRun(exchange: "reprocess", direction: .replay, owner: actor)
        var report = ReplayReport(runID: runID, filter: filter.description)
        do {
            for fileID in Set(entries.map(\.fileID)).sorted() {
                let group = entries.filter { $0.fileID == fileID }
                let before = report
                try ledger.replay(fileID: fileID, referenceDate: group.first?.referenceDate) { session in
                    for entry in group { try replay(entry, in: session, runID: runID, into: &report) }
                }
                var transfer = ExchangeTransfer(
                    runID: runID, exchange: "reprocess", direction: .replay, name: group[0].fileName,
                    outcome: .reprocessed)
                transfer.fileID = fileID
                transfer.records = group.count
                transfer.accepted = report.applied - before.applied
                transfer.quarantined = report.quarantined - before.quarantined
                transfer.message = "enregistrements en quarantaine repris"
                try exchanges.recordTransfer(transfer)
            }
        } catch {
            try? exchanges.finishRun(
                id: runID, outcome: .failed, attempts: 1, files: 0, bytes: 0,
                durationMS: Int(Date().timeIntervalSince(started) * 1000), message: "reprise interrompue : \(error)")
            throw error
        }
        let message =
            "\(report.records) enregistrement(s) repris (\(filter)) : \(report.applied) appliqué(s), "
            + "\(report.quarantined) toujours en quarantaine, \(report.waiting) en attente"
        try exchanges.finishRun(
            id: runID, outcome: report.quarantined > 0 ? .partial : .succeeded, attempts: 1,
            files: Set(entries.map(\.fileID)).count, bytes: 0,
            durationMS: Int(Date().timeIntervalSince(started) * 1000), message: message)
        try access.audit(
            AuditEntry(
                actor: actor, partner: nil, action: "reprocess", subjectKind: .quarantine, subject: filter.description,
                purpose: "reprise de la quarantaine : \(report.records) lu(s), \(report.applied) appliqué(s)"))
        logger.info(
            "quarantine reprocessed",
            metadata: [
                "run": "\(runID)", "records": "\(report.records)", "applied": "\(report.applied)",
                "quarantined": "\(report.quarantined)", "waiting": "\(report.waiting)",
            ])
        return report
    }

    /// Closes quarantined record `id` by hand (nothing to apply: a test record, a person already known, a partner's
    /// correction sent in another file), with the reason kept on the record and in the audit log.
    public func resolve(id: Int64, reason: String, actor: String) throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw ReplayError("Une raison est requise pour clore un enregistrement à la main.")
        }
        guard try ledger.resolveQuarantined(id: id, reason: String(reason.prefix(500))) else {
            throw ReplayError("Aucun enregistrement ouvert n° \(id) en quarantaine.")
        }
        try access.audit(
            AuditEntry(
                actor: actor, partner: nil, action: "resolve", subjectKind: .quarantine, subject: "record:\(id)",
                purpose: "clôture à la main (la raison reste sur l'enregistrement)"))
        logger.info("quarantined record resolved by hand", metadata: ["record": "\(id)"])
    }

    /// Reads a file refused whole again from its kept copy, through the current mappings, and applies it wholly or
    /// not at all in its ledger entry; a file already applied is never applied twice.
    public func retry(fileID: Int64, actor: String) throws -> ImportReport {
        guard let file = try ledger.receivedFile(id: fileID) else {
            throw ReplayError("Fichier n° \(fileID) inconnu du registre.")
        }
        guard file.outcome != .applied else {
            throw ReplayError("Le fichier n° \(fileID) est déjà appliqué : il ne l'est jamais deux fois.")
        }
        guard let kept = file.keptPath, FileManager.default.isReadableFile(atPath: kept) else {
            throw ReplayError(
                "La copie du fichier n° \(fileID) n'est plus conservée : le partenaire doit le renvoyer.")
        }
        guard let flow = flows[file.flow] else {
            throw ReplayError("Le flux « \(file.flow) » du fichier n° \(fileID) n'a plus de mapping.")
        }
        let started = Date()
        let runID = try exchanges.startRun(exchange: "retry", direction: .replay, owner: actor)
        var pipeline = FilePipeline(flow: flow, logger: logger)
        let all = Array(flows.values)
        pipeline.alternatives = { all }
        let report: ImportReport
        do {
            report = try pipeline.importFile(
                path: kept, ledger: ledger, partner: file.partner,
                retry: FileRetry(fileID: fileID, actor: actor, runID: runID))
        } catch {
            try? exchanges.finishRun(
                id: runID, outcome: .failed, attempts: 1, files: 1, bytes: Int64(file.size),
                durationMS: Int(Date().timeIntervalSince(started) * 1000), message: "nouvelle tentative en échec")
            throw error
        }
        var transfer = ExchangeTransfer(
            runID: runID, exchange: "retry", direction: .replay, name: file.name,
            outcome: .received(report.outcome))
        transfer.size = Int64(file.size)
        transfer.sha256 = file.sha256
        transfer.fileID = fileID
        transfer.records = report.records
        transfer.accepted = report.accepted
        transfer.quarantined = report.quarantined
        transfer.message = "nouvelle tentative"
        try exchanges.recordTransfer(transfer)
        try exchanges.finishRun(
            id: runID, outcome: report.outcome == .applied ? .succeeded : .failed, attempts: 1,
            files: 1,
            bytes: Int64(file.size), durationMS: Int(Date().timeIntervalSince(started) * 1000),
            message: "fichier n° \(fileID) : \(report.outcome), \(report.accepted) accepté(s)")
        try access.audit(
            AuditEntry(
                actor: actor, partner: file.partner, action: "retry", subjectKind: .file, subject: String(fileID),
                purpose: "nouvelle tentative : \(report.outcome), \(report.records) lu(s)"))
        return report
    }

    /// Reads one quarantined record again and applies what it gives.
    private func replay(
        _ entry: QuarantinedRecord, in session: ImportSession, runID: Int64, into report: inout ReplayReport
    ) throws {
        report.records += 1
        func keep(_ issues: [ValidationIssue], waitingFor: String? = nil) throws {
            try session.keepQuarantined(id: entry.id, issues: issues, waitingFor: waitingFor)
            if waitingFor != nil {
                report.waiting += 1
            } else {
                report.quarantined += 1
                report.errors += issues.prefix(20).map { ReportedIssue($0, record: entry.recordIndex) }
            }
        }
        let outcomes: [RecordOutcome]
        do {
            outcomes = try read(entry)
        } catch let error as FormatError {
            return try keep([error.issue])
        }
        var applied = false
        for outcome in outcomes {
            switch outcome {
            case .household(let household, _, _, _):
                switch try session.apply(household, repeated: true, source: Array(entry.raw.utf8)) {
                case .conflict: return try keep([FilePipeline.conflict(household.key, line: entry.line)])
                case .accepted(let changes):
                    report.statusChanges += changes
                    applied = true
                case .duplicate, .stale: applied = true
                }
            case .partner(let record, _, _, _):
                switch try session.applyPartner(record, partner: entry.partner) {
                case .accepted, .duplicate: applied = true
                case .conflict: return try keep([FilePipeline.conflict(maskedKey: record.maskedKey, line: entry.line)])
                case .identityConflict(let message):
                    return try keep([
                        ValidationIssue(
                            type: .uniqueError, field: "person", line: entry.line, value: record.maskedKey,
                            message: "Rapprochement impossible sans ambiguïté : " + message)
                    ])
                case .unknownProposal:
                    guard case .sourcingFeedback(let feedback) = record else { return }
                    return try keep(
                        [FilePipeline.unknownProposal(record, line: entry.line)],
                        waitingFor: "proposal:" + feedback.proposalID)
                }
            case .rejected(_, _, _, _, let issues): return try keep(issues)
            case .anomalies(_, _, let key, let issues):
                if applied {
                    try session.recordAnomalies(index: entry.recordIndex, line: entry.line, key: key, issues: issues)
                }
            case .screened: break
            }
        }
        guard applied else {
            return try keep([
                ValidationIssue(
                    type: .structureError, line: entry.line, message: "Enregistrement illisible à la reprise.")
            ])
        }
        try session.resolveQuarantined(id: entry.id, runID: runID)
        report.applied += 1
    }

    /// The outcomes of a quarantined record read again, its lines those of its file: the record is written alone
    /// into a file of its flow's format (with its file's CSV header, under its file's name, which may give fields),
    /// which is read as any file is.
    func read(_ entry: QuarantinedRecord) throws -> [RecordOutcome] {
        guard let flow = flows[entry.flow] else {
            throw FormatError(.formatError, message: "Le flux « \(entry.flow) » n'a plus de mapping.")
        }
        let raw = entry.raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let text: String
        switch raw.first {
        case "<": text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Racine>\n" + raw + "\n</Racine>\n"
        case "{":
            let layout = ([flow] + flow.variants).first { $0.format == .json }
            text =
                layout?.jsonArrayKey.map { "{" + JSONValue.quoted($0) + ":[\n" + raw + "\n]}" } ?? "[\n" + raw + "\n]"
        default:
            guard let header = entry.header else {
                throw FormatError(
                    .formatError, line: entry.line,
                    message:
                        "L'en-tête du fichier n'a pas été conservé (reçu avant la reprise) : renvoyer ou réimporter le fichier."
                )
            }
            text = header + "\n" + raw + "\n"
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "insertion-gateway-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = entry.fileName.replacingOccurrences(of: "/", with: "_")
        let path = directory.appendingPathComponent(name.isEmpty ? "record" : name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        // The record is on the second line of the file written: its lines become its own file's.
        let shift = (entry.line ?? 2) - 2
        // So are its paths: `InfosFoyerRSA[1]…` and `ligne 2…` name the record in its own file.
        let element = flow.recordElement ?? ""
        var places = [
            ("ligne 2", "ligne \(entry.line ?? 2)"), ("enregistrement 1", "enregistrement \(entry.recordIndex + 1)"),
        ]
        if !element.isEmpty { places.append((element + "[1]", element + "[\(entry.recordIndex + 1)]")) }
        func rebased(_ issues: [ValidationIssue]) -> [ValidationIssue] {
            issues.map { issue in
                var moved = issue
                moved.line = issue.line.map { $0 + shift } ?? entry.line
                if let path = issue.path,
                    let (from, to) = places.first(where: { path.hasPrefix($0.0) })
                {
                    moved.path = to + path.dropFirst(from.count)
                }
                return moved
            }
        }
        var outcomes: [RecordOutcome] = []
        _ = try RecordStream(flow: flow).read(
            path, header: { _ in },
            record: { outcome in
                switch outcome {
                case .rejected(let index, let line, let key, let raw, let issues):
                    outcomes.append(
                        .rejected(
                            index: index, line: line.map { $0 + shift }, key: key, raw: raw, issues: rebased(issues)))
                case .anomalies(let index, let line, let key, let issues):
                    outcomes.append(
                        .anomalies(index: index, line: line.map { $0 + shift }, key: key, issues: rebased(issues)))
                default: outcomes.append(outcome)
                }
            })
        return outcomes
    }
}

/// A replay that cannot be made, with a French message.
public struct ReplayError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
