import Crypto
import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayScreen
import GatewayStore
import Logging

/// The result of `validate`: counts and every error.
public struct ValidationReport: Sendable, Codable {
    public var file: String
    public var flow: String
    public var records = 0
    public var accepted = 0
    public var rejected = 0
    /// Records repeated identically in the file (counted as accepted).
    public var duplicates = 0
    /// False when the file cannot be read at all (or, for files with a declared count, does not reconcile).
    public var readable = true
    public var errors: [ReportedIssue] = []
    /// Anomalies: what the gateway's plausibility checks found, set to warn (the records are valid).
    public var warnings: [ReportedIssue] = []
    /// Errors beyond the report's limit, counted only.
    public var errorsNotShown = 0
    /// Anomalies beyond the report's limit, counted only.
    public var warningsNotShown = 0

    /// 0: every record valid; 1: some rejected; 2: the file cannot be read or is refused as a whole.
    public var exitCode: Int32 {
        if !readable { return 2 }
        return rejected > 0 || !errors.isEmpty ? 1 : 0
    }
}

/// The result of `import`: the file, what became of it, and its counts. Its JSON (the CLI's `--json`, the API's
/// answer) is flat: the counts sit beside the outcome, their anomalies written `warnings`.
@dynamicMemberLookup
public struct ImportReport: Sendable, Encodable {
    public var file: String
    public var sha256: String
    public var flow: String
    public var partner: String
    /// applied, rejected (refused as a whole), unreadable, or already-received.
    public var outcome: FileOutcome
    public var alreadyReceived = false
    /// For a file already received: what happened to it the first time.
    public var previousOutcome: FileOutcome?
    /// Records read, accepted, duplicates, quarantined (and of them waiting), status changes, unmatched partner
    /// records, anomalies stored: `report.accepted` reads `report.counts.accepted`.
    public var counts = ImportCounts()
    public var fileID: Int64?
    public var errors: [ReportedIssue] = []
    public var errorsNotShown = 0
    /// The anomalies, as far as the report's limit (`counts.anomalies` says how many there are).
    public var anomalies: [ReportedIssue] = []
    public var keptPath: String?

    public subscript(dynamicMember count: WritableKeyPath<ImportCounts, Int>) -> Int {
        get { counts[keyPath: count] }
        set { counts[keyPath: count] = newValue }
    }

    public var exitCode: Int32 {
        switch outcome {
        case .applied: counts.quarantined > 0 ? 1 : 0
        case .alreadyReceived: previousOutcome == .applied ? (counts.quarantined > 0 ? 1 : 0) : 2
        case .rejected, .unreadable: 2
        }
    }

    private enum Key: String, CodingKey {
        case file, sha256, flow, partner, outcome, alreadyReceived, previousOutcome, records, accepted, duplicates
        case quarantined, statusChanges, unmatched, warnings, waiting, fileID, errors, errorsNotShown, anomalies
        case keptPath
    }

    public func encode(to encoder: any Encoder) throws {
        var json = encoder.container(keyedBy: Key.self)
        try json.encode(file, forKey: .file)
        try json.encode(sha256, forKey: .sha256)
        try json.encode(flow, forKey: .flow)
        try json.encode(partner, forKey: .partner)
        try json.encode(outcome, forKey: .outcome)
        try json.encode(alreadyReceived, forKey: .alreadyReceived)
        try json.encodeIfPresent(previousOutcome, forKey: .previousOutcome)
        for (key, count) in [
            (Key.records, \ImportCounts.records), (.accepted, \.accepted), (.duplicates, \.duplicates),
            (.quarantined, \.quarantined), (.statusChanges, \.statusChanges), (.unmatched, \.unmatched),
            (.warnings, \.anomalies), (.waiting, \.waiting),
        ] {
            try json.encode(counts[keyPath: count], forKey: key)
        }
        try json.encodeIfPresent(fileID, forKey: .fileID)
        try json.encode(errors, forKey: .errors)
        try json.encode(errorsNotShown, forKey: .errorsNotShown)
        try json.encode(anomalies, forKey: .anomalies)
        try json.encodeIfPresent(keptPath, forKey: .keptPath)
    }
}

/// Validates and imports partner files: hash, stream, map, validate, store — all or nothing per file.
public struct FilePipeline {
    public let flow: FlowMapping
    public var logger: Logger
    public var progress: (@Sendable (_ records: Int, _ bytes: Int, _ size: Int?) -> Void)?
    /// Errors listed in a report; the store keeps all of them.
    public var reportLimit = 1_000
    /// Whether `validate` screens flat CSV rows on their bytes, on every core (`RowScreen`): same report, faster.
    public var screening = true
    /// Threads that screen rows (`screening`); nil for one per core. At most 8 are used.
    public var screenThreads: Int?
    /// The screen's block size (`ScreenedRows.defaultBlockSize`), for tests.
    var screenBlockSize = ScreenedRows.defaultBlockSize
    /// Every flow, asked only when a file is not in this flow's format, to name the flows that would take it.
    public var alternatives: (@Sendable () -> [FlowMapping])?

    public init(flow: FlowMapping, logger: Logger = Logger(label: "insertion-gateway")) {
        self.flow = flow
        self.logger = logger
    }

    /// Reads and checks a file without storing anything.
    public func validate(path: String, schemaPath: String? = nil) -> ValidationReport {
        var report = ValidationReport(file: path, flow: flow.id)
        var stream = RecordStream(flow: flow, schemaPath: schemaPath)
        stream.progress = progress
        stream.alternatives = alternatives
        stream.screening = screening
        stream.screenThreads = screenThreads
        stream.screenBlockSize = screenBlockSize
        // Keys by a 64-bit digest, not their text: a million-row file stays within a few dozen MB. A digest
        // collision (about 1 in 10^7 for a million keys) could only report a false duplicate here; the import
        // compares the keys themselves.
        let households = RepeatCheck()
        let partnerKeys = RepeatCheck()
        var errors: [ReportedIssue] = []
        var errorsNotShown = 0
        var warnings: [ReportedIssue] = []
        var warningsNotShown = 0
        /// Counts a valid record by whether it repeats an earlier one.
        func count(_ repeated: Repeat, index: Int, conflict: () -> ValidationIssue) {
            switch repeated {
            case .first: report.accepted += 1
            case .identical:
                report.accepted += 1
                report.duplicates += 1
            case .conflicting:
                report.rejected += 1
                add([conflict()], record: index, to: &errors, dropped: &errorsNotShown)
            }
        }
        do {
            let level = try stream.read(
                path, header: { _ in },
                record: { outcome in
                    if case .screened(let rows, let repeated) = outcome {
                        report.records += rows
                        report.accepted += rows
                        report.duplicates += repeated
                        return
                    }
                    report.records += 1
                    switch outcome {
                    case .household(let household, let index, let line, _):
                        count(
                            households.check(household), index: index,
                            conflict: { Self.conflict(household.key, line: line) })
                    case .partner(let partnerRecord, let index, let line, _):
                        count(
                            partnerKeys.check(
                                partnerRecord.businessKeyDigest,
                                fingerprint: UInt64(bitPattern: Int64(partnerRecord.hashValue))),
                            index: index, conflict: { Self.conflict(maskedKey: partnerRecord.maskedKey, line: line) })
                    case .screened: break
                    case .rejected(let index, _, _, _, let issues):
                        report.rejected += 1
                        add(issues, record: index, to: &errors, dropped: &errorsNotShown)
                    case .anomalies(let index, _, _, let issues):
                        report.records -= 1  // the record itself was counted
                        add(issues, record: index, to: &warnings, dropped: &warningsNotShown)
                    }
                })
            add(level.issues, record: nil, to: &errors, dropped: &errorsNotShown)
            report.warnings = level.warnings.map { ReportedIssue($0, record: nil) } + warnings
            report.warningsNotShown = warningsNotShown
            if !level.issues.isEmpty && level.issues.contains(where: { $0.type != .schemaError }) {
                report.readable = false
            }
        } catch let error as FormatError {
            report.readable = false
            errors.append(ReportedIssue(error.issue, record: nil))
        } catch {
            report.readable = false
            errors.append(
                ReportedIssue(
                    ValidationIssue(type: .formatError, message: "Lecture impossible : \(error)"), record: nil))
        }
        report.errors = errors
        report.errorsNotShown = errorsNotShown
        return report
    }

    /// Imports a file into the store: wholly or not at all. A file already received is recognised by its
    /// hash and changes nothing; an unreadable one is kept aside and recorded in the ledger.
    ///
    /// `retry`: the file is the kept copy of a ledger entry refused before (`import --retry`): it is read again
    /// through the current mappings and applied in that entry, wholly or not at all; a failure is recorded as a
    /// further attempt.
    public func importFile(
        path: String, ledger: any LedgerRepository, partner: String? = nil, keepDirectory: String? = nil,
        schemaPath: String? = nil, retry: FileRetry? = nil
    ) throws -> ImportReport {
        let partner = partner ?? flow.partner
        // The reading thread starts before the file's hash is known, so that its encoding survey and first records
        // overlap the hash on the other core; a file the ledger already holds stops it at its first batch.
        var stream = RecordStream(flow: flow, schemaPath: schemaPath)
        stream.progress = progress
        stream.alternatives = alternatives
        stream.keepsSource = true
        let handoff = RecordHandoff()
        _ = stream.produce(path, into: handoff)
        var producerJoined = false
        /// Waits for the reading thread once: stopped first unless it has sent its last message.
        func joinProducer(stop: Bool) {
            guard !producerJoined else { return }
            producerJoined = true
            if stop { handoff.cancel() }
            handoff.waitForProducer()
        }
        defer { joinProducer(stop: true) }
        let (sha256, size) = try Self.sha256(of: path)
        let name = (path as NSString).lastPathComponent
        var report = ImportReport(file: path, sha256: sha256, flow: flow.id, partner: partner, outcome: .applied)
        let arrival = FileArrival(partner: partner, flow: flow.id, name: name, size: size, sha256: sha256)
        var log = logger
        log[metadataKey: "flow"] = "\(flow.id)"
        log[metadataKey: "file"] = "\(name)"
        log[metadataKey: "sha256"] = "\(sha256.prefix(12))"
        /// The report of a file the ledger already holds: received before, or by another gateway instance while
        /// this one read it (its transaction found the ledger entry: nothing of this import is kept).
        func alreadyReceived(_ known: ReceivedFile) -> ImportReport {
            log.info(
                "file already received, nothing changed",
                metadata: ["fileID": "\(known.id)", "outcome": "\(known.outcome)"])
            var report = ImportReport(file: path, sha256: sha256, flow: flow.id, partner: partner, outcome: .applied)
            report.outcome = .alreadyReceived
            report.alreadyReceived = true
            report.previousOutcome = known.outcome
            report.errors = known.issues.map { ReportedIssue($0, record: nil) }
            report.fileID = known.id
            report.counts = known.counts
            report.keptPath = known.keptPath
            return report
        }
        if retry == nil, let known = try ledger.receivedFile(partner: partner, sha256: sha256) {
            return alreadyReceived(known)
        }
        log.info("file received", metadata: ["bytes": "\(size)"])
        do {
            var level = RecordStream.FileLevel()
            var recordErrors: [ReportedIssue] = []
            var recordErrorsNotShown = 0
            var anomalies: [ReportedIssue] = []
            var anomaliesNotShown = 0
            let (file, counts) = try ledger.apply(arrival, referenceDate: nil, retry: retry) { session in
                // One thread reads and maps, this one stores: both cores work, the transaction stays here.
                func quarantine(index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue]) throws {
                    try session.quarantine(index: index, line: line, key: key, raw: raw, issues: issues)
                    log.warning(
                        "record quarantined",
                        metadata: [
                            "record": "\(index)", "line": "\(line ?? 0)", "key": "\(key ?? "-")",
                            "issues": "\(Set(issues.map(\.type.rawValue)).sorted().joined(separator: ","))",
                        ])
                    // Two variables, not two members of `report`: a local function's captures are checked for
                    // exclusive access at run time, and one variable passed twice `inout` would overlap.
                    add(issues, record: index, to: &recordErrors, dropped: &recordErrorsNotShown)
                }
                var finished = false
                // Households repeated in the file: an identical one is a duplicate, another one is refused.
                let repeats = RepeatCheck()
                do {
                    while !finished {
                        let messages = handoff.takeAll()
                        // The partner records of this block: what they need from the store, read in a few queries.
                        let partnerRecords = messages.compactMap { message -> PartnerRecord? in
                            if case .partner(let record, _, _, _) = message { return record }
                            return nil
                        }
                        if !partnerRecords.isEmpty { try session.lookAhead(partnerRecords) }
                        // The households of this block, as the store holds them (a monthly file finds most).
                        let households = messages.compactMap { message -> Household? in
                            if case .household(let household, _, _, _) = message { return household }
                            return nil
                        }
                        if !households.isEmpty { try session.lookAhead(households: households) }
                        for message in messages {
                            switch message {
                            case .header(let header): session.setReferenceDate(header.referenceDate)
                            case .household(let household, let index, let line, let source):
                                switch repeats.check(household) {
                                case .first: _ = try session.apply(household, repeated: false, source: source)
                                case .identical: session.countDuplicate()
                                case .conflicting:
                                    try quarantine(
                                        index: index, line: line, key: household.key.description,
                                        raw: String(decoding: source, as: UTF8.self),
                                        issues: [Self.conflict(household.key, line: line)])
                                }
                            case .partner(let partnerRecord, let index, let line, let raw):
                                let issue: ValidationIssue
                                switch try session.applyPartner(partnerRecord, partner: partner) {
                                case .accepted, .duplicate: continue
                                case .conflict: issue = Self.conflict(maskedKey: partnerRecord.maskedKey, line: line)
                                case .identityConflict(let message):
                                    issue = ValidationIssue(
                                        type: .uniqueError, field: "person", line: line, value: partnerRecord.maskedKey,
                                        message: "Rapprochement impossible sans ambiguïté : " + message)
                                case .unknownProposal:
                                    // The proposal may not be made yet (feedback read before the sourcing that
                                    // makes it): the record waits, and is applied once the proposal exists.
                                    guard case .sourcingFeedback(let feedback) = partnerRecord else { continue }
                                    try session.quarantine(
                                        index: index, line: line, key: partnerRecord.maskedKey, raw: raw ?? "",
                                        issues: [Self.unknownProposal(partnerRecord, line: line)],
                                        waitingFor: "proposal:" + feedback.proposalID)
                                    continue
                                }
                                try quarantine(
                                    index: index, line: line, key: partnerRecord.maskedKey,
                                    raw: raw ?? "", issues: [issue])
                            case .rejected(let index, let line, let key, let raw, let issues):
                                try quarantine(index: index, line: line, key: key, raw: raw, issues: issues)
                            case .anomalies(let index, let line, let key, let issues):
                                try session.recordAnomalies(index: index, line: line, key: key, issues: issues)
                                add(issues, record: index, to: &anomalies, dropped: &anomaliesNotShown)
                            case .finished(let result):
                                level = result
                                finished = true
                            case .failed(let error): throw error
                            }
                        }
                    }
                } catch {
                    joinProducer(stop: true)
                    throw error
                }
                joinProducer(stop: false)
                guard level.issues.isEmpty else { throw FileRefused(issues: level.issues) }
                session.fileIssues = level.warnings
                session.fileHeader = level.csvHeader
                let fileAnomalies = level.warnings.filter { $0.check != nil }
                try session.recordAnomalies(index: nil, line: nil, key: nil, issues: fileAnomalies)
                add(fileAnomalies, record: nil, to: &anomalies, dropped: &anomaliesNotShown)
                if level.header.isMonthly { try session.recordAbsences() }
            }
            report.errors = recordErrors
            report.errorsNotShown = recordErrorsNotShown
            report.anomalies = anomalies
            report.fileID = file.id
            report.counts = counts
            log.info(
                "file applied",
                metadata: [
                    "fileID": "\(file.id)", "records": "\(counts.records)", "accepted": "\(counts.accepted)",
                    "duplicates": "\(counts.duplicates)", "quarantined": "\(counts.quarantined)",
                    "statusChanges": "\(counts.statusChanges)", "anomalies": "\(counts.anomalies)",
                ])
            return report
        } catch is FileAlreadyReceived {
            if let retry, let known = try ledger.receivedFile(id: retry.fileID) { return alreadyReceived(known) }
            guard let known = try ledger.receivedFile(partner: partner, sha256: sha256) else {
                throw StoreFailure("the ledger entry of a file received meanwhile is missing")
            }
            return alreadyReceived(known)
        } catch let refused as FileRefused {
            report.outcome = .rejected
            report.errors = refused.issues.map { ReportedIssue($0, record: nil) }
            report.errorsNotShown = 0
            let kept = retry == nil ? keep(path, sha256: sha256, in: keepDirectory) : path
            let file =
                try retry.map {
                    try ledger.recordFailedRetry($0, outcome: .rejected, issues: refused.issues)
                }
                ?? ledger.recordRefusedFile(
                    arrival, outcome: .rejected, records: 0, issues: refused.issues, keptPath: kept)
            report.fileID = file.id
            report.keptPath = kept
            log.error(
                "file refused as a whole, nothing applied",
                metadata: ["issues": "\(refused.issues.map(\.type.rawValue).joined(separator: ","))"])
            return report
        } catch let error as FormatError {
            report.outcome = .unreadable
            report.errors = [ReportedIssue(error.issue, record: nil)]
            report.errorsNotShown = 0
            let kept = retry == nil ? keep(path, sha256: sha256, in: keepDirectory) : path
            let file =
                try retry.map {
                    try ledger.recordFailedRetry($0, outcome: .unreadable, issues: [error.issue])
                }
                ?? ledger.recordRefusedFile(
                    arrival, outcome: .unreadable, records: 0, issues: [error.issue], keptPath: kept
                )
            report.fileID = file.id
            report.keptPath = kept
            log.error(
                "file unreadable, nothing applied",
                metadata: ["type": "\(error.issue.type.rawValue)", "line": "\(error.issue.line ?? 0)"])
            return report
        }
    }

    private func add(
        _ issues: [ValidationIssue], record: Int?, to list: inout [ReportedIssue], dropped: inout Int
    ) {
        for issue in issues {
            if list.count < reportLimit { list.append(ReportedIssue(issue, record: record)) } else { dropped += 1 }
        }
    }

    /// A feedback whose proposal the gateway has not made (yet).
    static func unknownProposal(_ record: PartnerRecord, line: Int?) -> ValidationIssue {
        ValidationIssue(
            type: .constraintError, field: "proposalID", line: line, value: record.maskedKey,
            message:
                "Cette proposition n'a pas (encore) été envoyée par la passerelle pour cette offre : le retour attend la proposition ; référence à vérifier si elle ne vient pas."
        )
    }

    /// FNV-1a over the key's UTF-8 bytes: stable, cheap, 64 bits.
    static func conflict(maskedKey: String, line: Int?) -> ValidationIssue {
        ValidationIssue(
            type: .uniqueError, field: "businessKey", line: line, value: maskedKey,
            message:
                "L'enregistrement \(maskedKey) figure déjà plus haut dans le fichier avec un contenu différent : enregistrement écarté."
        )
    }

    static func conflict(_ key: HouseholdKey, line: Int?) -> ValidationIssue {
        ValidationIssue(
            type: .uniqueError, field: "matricule", line: line, value: key.description,
            message:
                "Le foyer \(key) figure déjà plus haut dans le fichier avec un contenu différent : enregistrement écarté."
        )
    }

    /// Copies an unreadable or refused file aside, named by its hash, so it can be examined and replayed.
    private func keep(_ path: String, sha256: String, in directory: String?) -> String? {
        guard let directory else { return nil }
        let manager = FileManager.default
        let target = (directory as NSString).appendingPathComponent(
            sha256.prefix(16) + "-" + (path as NSString).lastPathComponent)
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if !manager.fileExists(atPath: target) { try manager.copyItem(atPath: path, toPath: target) }
            return target
        } catch {
            logger.error("could not keep refused file", metadata: ["error": "\(type(of: error))"])
            return nil
        }
    }

    /// SHA-256 of a file, read by 1 MiB chunks.
    public static func sha256(of path: String) throws -> (String, Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(
                .formatError, message: "Fichier illisible ou absent : \((path as NSString).lastPathComponent)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return (digest, size)
    }
}

/// A file read to the end but refused as a whole (its count does not reconcile, a file-level field is missing).
struct FileRefused: Error {
    var issues: [ValidationIssue]
}
