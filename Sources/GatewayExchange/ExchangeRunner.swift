import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTelemetry
import GatewayTransport
import Logging

/// What one run of an exchange did, for the summary and the journal.
public struct ExchangeSummary: Sendable, Codable, Equatable {
    public var exchange: String
    public var direction: FlowDirection
    /// partial: some files failed; interrupted: stopped between two files.
    public var outcome = RunOutcome.succeeded
    public var runID: Int64?
    /// Requests made, retries included.
    public var attempts = 0
    public var listed = 0
    public var notReady = 0
    public var heldByOther = 0
    public var applied = 0
    public var alreadyReceived = 0
    public var refused = 0
    public var failed = 0
    public var sent = 0
    public var alreadySent = 0
    public var records = 0
    public var quarantined = 0
    public var bytes: Int64 = 0
    public var durationMS = 0
    public var message: String?
}

/// Set once to ask a run to stop after the file in hand.
public final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    public init() {}

    public var isSet: Bool { lock.withLock { stopped } }
    public func set() { lock.withLock { stopped = true } }
}

/// Runs exchanges: lists a partner's location, takes the files that are complete, imports each in one
/// transaction, sends the notices, archives; or generates and sends outputs.
///
/// The order makes a crash at any point harmless: download to a temporary file → hash → import (one transaction;
/// the ledger knows the hash) → journal → archive or delete the partner's copy → claim done. Run again, a file
/// already imported is recognised by its hash and only its archiving is finished. Outputs are recorded as sent
/// after their rename; a file found on the remote side with the same content counts as sent.
public struct ExchangeRunner: Sendable {
    public let config: GatewayConfig
    public let store: GatewayStore
    public let flows: [String: FlowMapping]
    public var logger: Logger
    /// The day emitters date their files with (today in the configuration's time zone when nil).
    public var day: LocalDate?
    /// The programmes and structures (`programmes.yaml`, `structures.yaml`), for the reports' exchanges.
    public var programmes: ProgrammeCatalogue?
    public var structures: StructureCatalogue?
    public var stop = StopSignal()
    /// Waits between retries and for readiness (replaced in tests).
    public var sleep: @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    /// The variables the endpoints' credentials may name (`password-env`…), read by the application at its edge.
    public var environment: [String: String] = [:]
    /// The mails to the people who must act (none when nil): see `Notifier`.
    public var notifier: Notifier?
    /// Where runs, imports and mails are counted (none when nil).
    public var metrics: GatewayMetrics?
    let owner = GatewayOwner.current

    public init(config: GatewayConfig, store: GatewayStore, flows: [String: FlowMapping], logger: Logger) {
        self.config = config
        self.store = store
        self.flows = flows
        self.logger = logger
    }

    /// Whether the exchange's schedule fired since it last started (an exchange never run is due).
    public func isDue(_ exchange: Exchange, at now: Date = Date()) throws -> Bool {
        guard let last = try store.exchanges.exchangeState(exchange.id).lastStarted else { return true }
        guard let next = exchange.schedule.next(after: Date(timeIntervalSince1970: last)) else { return false }
        return next <= now
    }

    /// When the exchange is next due.
    public func nextDue(_ exchange: Exchange, after now: Date = Date()) throws -> Date? {
        guard let last = try store.exchanges.exchangeState(exchange.id).lastStarted else { return now }
        let next = exchange.schedule.next(after: Date(timeIntervalSince1970: last))
        return next.map { max($0, now) }
    }

    /// Runs one exchange now and journals it.
    public func run(_ exchange: Exchange) -> ExchangeSummary {
        var summary = ExchangeSummary(exchange: exchange.id, direction: exchange.direction)
        let started = Date()
        var log = logger
        log[metadataKey: "exchange"] = "\(exchange.id)"
        do {
            try store.exchanges.markInterruptedRuns(isGone: GatewayOwner.isGone)
            // Another gateway on the store runs an exchange this one comes after: it waits, still due, for the next
            // look at the schedule (the feedback must not be read while the proposals it answers are made).
            if let busy = try predecessorRunning(exchange) {
                summary.outcome = .skipped
                summary.message = "attend \(busy.exchange), en cours sur \(busy.owner)"
                log.info("waiting for an exchange it comes after", metadata: ["running": "\(busy.exchange)"])
                return summary
            }
            let runID = try store.exchanges.startRun(
                exchange: exchange.id, direction: RunDirection(exchange.direction), owner: owner.description)
            summary.runID = runID
            let work = ((config.work as NSString).appendingPathComponent(exchange.id) as NSString)
                .appendingPathComponent(owner.folderName)
            cleanStaleFolders(beside: work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            var context = RunContext(exchange: exchange, runID: runID, work: work, log: log)
            do {
                switch exchange.direction {
                case .in: try runInbound(&context, &summary)
                case .out: try runOutbound(&context, &summary)
                }
            } catch {
                summary.outcome = .failed
                summary.message = Self.describe(error)
                log.error("exchange failed", metadata: ["error": "\(summary.message ?? "")"])
            }
            if summary.outcome == .succeeded && summary.failed > 0 {
                let done = summary.applied + summary.alreadyReceived + summary.refused + summary.sent
                summary.outcome = done > 0 ? .partial : .failed
            }
            summary.durationMS = Int(Date().timeIntervalSince(started) * 1000)
            if summary.outcome == .failed || summary.outcome == .partial {
                notify(.exchangeFailed(summary, runID: runID), log)
            }
            try store.exchanges.finishRun(
                id: runID, outcome: summary.outcome, attempts: summary.attempts,
                files: summary.applied + summary.alreadyReceived + summary.refused + summary.failed + summary.sent
                    + summary.alreadySent,
                bytes: summary.bytes, durationMS: summary.durationMS, message: summary.message)
        } catch {
            summary.outcome = .failed
            summary.message = Self.describe(error)
            summary.durationMS = Int(Date().timeIntervalSince(started) * 1000)
            log.error("exchange could not be journaled", metadata: ["error": "\(summary.message ?? "")"])
        }
        metrics?.exchangeRun(
            exchange: exchange.id, outcome: summary.outcome.rawValue, duration: .milliseconds(summary.durationMS),
            files: [
                ("applied", summary.applied), ("already-received", summary.alreadyReceived),
                ("refused", summary.refused), ("sent", summary.sent), ("already-sent", summary.alreadySent),
                ("failed", summary.failed),
            ])
        deliverMails()
        log.info(
            "exchange run",
            metadata: [
                "outcome": "\(summary.outcome)", "applied": "\(summary.applied)",
                "alreadyReceived": "\(summary.alreadyReceived)", "refused": "\(summary.refused)",
                "failed": "\(summary.failed)", "sent": "\(summary.sent)", "notReady": "\(summary.notReady)",
                "ms": "\(summary.durationMS)",
            ])
        return summary
    }

    /// A run of an exchange `exchange` comes after (directly or not), on another gateway that is alive, started
    /// within that exchange's lease.
    func predecessorRunning(_ exchange: Exchange) throws -> (exchange: String, owner: String)? {
        let before = config.predecessors(of: exchange)
        guard !before.isEmpty else { return nil }
        let longest = before.compactMap { config.exchange($0)?.lease }.max() ?? 900
        let since = Journal.stamp(Date().addingTimeInterval(-longest))
        return try store.exchanges.running(before, since: since).first {
            $0.owner != owner.description && !GatewayOwner.isGone($0.owner)
        }
    }

    struct RunContext {
        var exchange: Exchange
        var runID: Int64
        var work: String
        var log: Logger
        var transports: [String: any Transport] = [:]
        var sequence = 0

        mutating func temporaryFolder() throws -> String {
            sequence += 1
            let folder = (work as NSString).appendingPathComponent(String(sequence))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return folder
        }
    }

    // MARK: Inbound

    func runInbound(_ context: inout RunContext, _ summary: inout ExchangeSummary) throws {
        let exchange = context.exchange
        guard let flow = flows[exchange.flow] else { throw TransportError(.local, "flux \(exchange.flow) absent") }
        let transport = try exchange.endpoint.transport(environment: environment)
        let listing = try attempt(exchange, &summary, context.log) { try transport.list() }
        let names = Set(listing.map(\.name))
        let markers: Set<String> =
            if case .doneFile(let template) = exchange.readiness {
                Set(listing.map { Self.marker(template, $0.name) }.filter { names.contains($0) })
            } else { [] }
        let done = try store.exchanges.doneClaims(exchange: exchange.id)
        let candidates = listing.filter {
            exchange.matches($0.name) && !markers.contains($0.name)
                && !done.contains(ClaimKey(exchange: exchange.id, name: $0.name, size: $0.size, modified: $0.modified))
        }
        summary.listed = candidates.count
        let ready = try self.ready(candidates, names: names, exchange, transport, &summary, context.log)
        for file in ready {
            if stop.isSet {
                summary.outcome = .interrupted
                context.log.notice("stopping before the next file")
                break
            }
            let serverDown = try take(file, flow: flow, transport: transport, &context, &summary)
            if serverDown { break }
        }
    }

    /// Handles one file; returns true when the location stopped answering (the other files wait for next run).
    func take(
        _ file: RemoteFile, flow: FlowMapping, transport: any Transport, _ context: inout RunContext,
        _ summary: inout ExchangeSummary
    ) throws -> Bool {
        let exchange = context.exchange
        var log = context.log
        log[metadataKey: "file"] = "\(file.name)"
        let key = ClaimKey(exchange: exchange.id, name: file.name, size: file.size, modified: file.modified)
        switch try store.exchanges.claim(
            key, owner: owner.description, lease: exchange.lease, isGone: GatewayOwner.isGone)
        {
        case .done: return false
        case .heldByOther(let holder):
            summary.heldByOther += 1
            log.info("file held by another gateway", metadata: ["owner": "\(holder)"])
            return false
        case .claimed: break
        }
        let started = Date()
        let attemptsBefore = summary.attempts
        var transfer = ExchangeTransfer(
            runID: context.runID, exchange: exchange.id, direction: .in, name: file.name,
            outcome: .failed)
        transfer.size = file.size
        var serverDown = false
        let folder = try context.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let path = (folder as NSString).appendingPathComponent(file.name)
            let partial = path + ".part"
            let bytes = try attempt(exchange, &summary, log) { try transport.download(file.name, to: partial) }
            guard bytes == file.size else {
                // Changed between the listing and the download: not complete after all.
                try store.exchanges.releaseClaim(key, owner: owner.description)
                summary.notReady += 1
                log.notice("file changed while downloaded, left for the next run")
                return false
            }
            guard rename(partial, path) == 0 else { throw TransportError(.local, "renommage local impossible") }
            summary.bytes += bytes
            // The lease again, from now: the import may be long.
            _ = try store.exchanges.claim(
                key, owner: owner.description, lease: exchange.lease, isGone: GatewayOwner.isGone)
            var pipeline = FilePipeline(flow: flow, logger: log)
            let flows = Array(flows.values)
            pipeline.alternatives = { flows }
            pipeline.reportLimit = 0
            let importStarted = ContinuousClock.now
            let report = try pipeline.importFile(
                path: path, ledger: store.ledger, partner: exchange.partner, keepDirectory: refusedFolder,
                schemaPath: exchange.schema)
            let counted = report.outcome != .alreadyReceived
            metrics?.imported(
                flow: report.flow, fileOutcome: report.outcome,
                accepted: counted ? report.accepted : 0, duplicates: counted ? report.duplicates : 0,
                quarantined: counted ? report.quarantined : 0, seconds: ContinuousClock.now - importStarted)
            transfer.sha256 = report.sha256
            transfer.fileID = report.fileID
            transfer.outcome = .received(report.outcome)
            transfer.records = report.records
            transfer.accepted = report.accepted
            transfer.quarantined = report.quarantined
            let applied =
                report.outcome == .applied
                || (report.outcome == .alreadyReceived && report.previousOutcome == .applied)
            switch report.outcome {
            case .applied:
                summary.applied += 1
                summary.records += report.records
                summary.quarantined += report.quarantined
            case .alreadyReceived: summary.alreadyReceived += 1
            case .rejected, .unreadable:
                summary.refused += 1
                notify(
                    .fileRefused(exchange: exchange, file: file.name, outcome: report.outcome, sha256: report.sha256),
                    log)
            }
            if let notices = exchange.notices, let fileID = report.fileID,
                report.counts.needsNotice(applied: applied, listingAnomalies: flow.noticeListsAnomalies)
            {
                try sendNotice(fileID: fileID, to: notices, &context, &summary)
            }
            transfer.movedTo = try dispose(
                file.name, applied ? exchange.archive : exchange.errors, sha256: report.sha256, transport, exchange,
                &summary, log)
            if case .doneFile(let template) = exchange.readiness {
                _ = try? dispose(
                    Self.marker(template, file.name), applied ? exchange.archive : exchange.errors,
                    sha256: report.sha256, transport, exchange, &summary, log)
            }
            try store.exchanges.finishClaim(key, owner: owner.description, sha256: report.sha256)
        } catch {
            transfer.outcome = .failed
            transfer.message = Self.describe(error)
            summary.failed += 1
            try? store.exchanges.releaseClaim(key, owner: owner.description)
            serverDown = (error as? TransportError)?.isTransient ?? false
            log.error("file failed, left in place for the next run", metadata: ["error": "\(transfer.message ?? "")"])
        }
        transfer.attempts = max(1, summary.attempts - attemptsBefore)
        transfer.durationMS = Int(Date().timeIntervalSince(started) * 1000)
        try store.exchanges.recordTransfer(transfer)
        return serverDown
    }

    var refusedFolder: String {
        config.refused
            ?? (GatewayStore.folder(beside: config.store ?? "data/gateway.sqlite") as NSString)
            .appendingPathComponent("refused")
    }

    static func marker(_ template: String, _ name: String) -> String {
        template.contains("{name}") ? template.replacingOccurrences(of: "{name}", with: name) : template
    }

    /// The candidates that are complete: their done-file is there, or their size and stamp held for the
    /// configured seconds (at once for a local file not modified for that long).
    func ready(
        _ candidates: [RemoteFile], names: Set<String>, _ exchange: Exchange, _ transport: any Transport,
        _ summary: inout ExchangeSummary, _ log: Logger
    ) throws -> [RemoteFile] {
        switch exchange.readiness {
        case .doneFile(let template):
            let ready = candidates.filter { names.contains(Self.marker(template, $0.name)) }
            summary.notReady += candidates.count - ready.count
            return ready
        case .stableSeconds(let seconds):
            guard seconds > 0, !candidates.isEmpty else { return candidates }
            let now = Date().timeIntervalSince1970
            var settled: [RemoteFile] = []
            var waiting: [RemoteFile] = []
            for file in candidates {
                if transport.clockIsLocal, let stamp = Double(file.modified), stamp < now - Double(seconds) {
                    settled.append(file)
                } else {
                    waiting.append(file)
                }
            }
            guard !waiting.isEmpty else { return settled }
            log.info("waiting for files to settle", metadata: ["files": "\(waiting.count)", "seconds": "\(seconds)"])
            sleep(Double(seconds))
            let again = try attempt(exchange, &summary, log) { try transport.list() }
            let byName = Dictionary(again.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for file in waiting {
                if byName[file.name] == file { settled.append(file) } else { summary.notReady += 1 }
            }
            return settled.sorted { $0.name < $1.name }
        }
    }

    /// Archives, deletes or leaves a handled file; returns where it went.
    func dispose(
        _ name: String, _ disposal: Exchange.Disposal, sha256: String, _ transport: any Transport,
        _ exchange: Exchange, _ summary: inout ExchangeSummary, _ log: Logger
    ) throws -> String? {
        do {
            switch disposal {
            case .keep: return nil
            case .delete:
                try attempt(exchange, &summary, log) { try transport.delete(name) }
                return "(deleted)"
            case .folder(let folder):
                do {
                    try attempt(exchange, &summary, log) { try transport.move(name, toFolder: folder, as: name) }
                    return (folder as NSString).appendingPathComponent(name)
                } catch let error as TransportError where error.kind == .alreadyExists {
                    // A file of that name was archived before (a re-delivery): keep both, told apart by hash.
                    let other = "\(sha256.prefix(12))-\(name)"
                    do {
                        try attempt(exchange, &summary, log) { try transport.move(name, toFolder: folder, as: other) }
                    } catch let again as TransportError where again.kind == .alreadyExists {
                        // The same content is archived already.
                        try attempt(exchange, &summary, log) { try transport.delete(name) }
                    }
                    return (folder as NSString).appendingPathComponent(other)
                }
            }
        } catch let error as TransportError where error.kind == .notFound {
            // Moved or deleted already (by a run that stopped before it could say so).
            return nil
        }
    }

    // MARK: Outbound

    func runOutbound(_ context: inout RunContext, _ summary: inout ExchangeSummary) throws {
        let exchange = context.exchange
        let lock = ClaimKey(exchange: exchange.id, name: "(exchange)", size: 0, modified: "")
        if case .heldByOther(let holder) = try store.exchanges.claim(
            lock, owner: owner.description, lease: exchange.lease, isGone: GatewayOwner.isGone)
        {
            summary.outcome = .skipped
            summary.message = "en cours sur \(holder)"
            return
        }
        defer { try? store.exchanges.releaseClaim(lock, owner: owner.description) }
        let cursor = try store.exchanges.exchangeState(exchange.id).cursor
        let upper = try store.ledger.lastReceivedFileID()
        let kind = OutboundKind(rawValue: exchange.flow) ?? .rejectionNotices
        // The alerts, notices and candidates come from received files: nothing new to send when no file came
        // since the last run. The reports are dated by the run's day and sent each time (once per content).
        let followsFiles = kind != .reports && kind != .cvDepositCheck
        if followsFiles, let cursor, cursor >= upper { return }
        let folder = try context.temporaryFolder()
        let outbound = Outbound(flows: flows, store: store)
        var written: [Outbound.Written] = []
        switch kind {
        case .operatorAlerts:
            written = try outbound.alerts(directory: folder, afterFileID: cursor, on: today)
        case .rejectionNotices:
            for file in try store.ledger.receivedFiles()
            where file.id > (cursor ?? 0) && file.id <= upper
                && file.needsNotice(listingAnomalies: flows[file.flow]?.noticeListsAnomalies == true)
            {
                written.append(try outbound.notice(fileID: file.id, directory: folder))
            }
        case .candidates:
            written = try outbound.sourceOpenPosts(
                territory: exchange.output.territory, format: exchange.output.format, directory: folder, on: today,
                limit: exchange.output.limit)
            summary.records = written.reduce(0) { $0 + $1.records }
        case .reports:
            let (programmes, structures) = try programmeCatalogues()
            let report = try ReportFiles.all(
                cases: try store.partnerRecords.followedCases(), programmes: programmes, structures: structures,
                from: today.adding(months: -12).adding(days: 1), to: today, directory: folder,
                suffix: "-" + today.formatted(.compact), decimalComma: exchange.output.decimalComma, generatedOn: today)
            let partner = exchange.partner ?? Self.dataTeam
            written = report.files.map { Outbound.Written(path: $0, partner: partner, records: 0) }
            summary.records = report.findings
        case .cvDepositCheck:
            let (programmes, _) = try programmeCatalogues()
            let path = (folder as NSString).appendingPathComponent(
                "controle-depot-cv-\(today.formatted(.compact)).csv")
            let report = try ReportFiles.cvDeposit(
                cases: try store.partnerRecords.followedCases(), programmes: programmes, on: today, path: path)
            written = [Outbound.Written(path: path, partner: exchange.partner ?? Self.dataTeam, records: 0)]
            let shortfalls = ReportFiles.shortfalls(report)
            if !shortfalls.isEmpty {
                summary.message = "Dépôt des CV sous l'objectif — " + shortfalls.joined(separator: " ; ")
                context.log.warning(
                    "CV deposit under target", metadata: ["programmes": "\(shortfalls.count)"])
                notify(.cvDepositUnderTarget(exchange: exchange, day: today, shortfalls: shortfalls), context.log)
            }
        }
        for output in written {
            if stop.isSet {
                summary.outcome = .interrupted
                return
            }
            do {
                let sent = try deliver(output.path, partner: output.partner, to: exchange.endpoint, &context, &summary)
                if let sent, let event = MailEvent.sent(kind, exchange: exchange, written: output, sent: sent) {
                    notify(event, context.log)
                }
            } catch {
                summary.failed += 1
                if (error as? TransportError)?.isTransient ?? false { break }
            }
        }
        if summary.failed == 0 && followsFiles { try store.exchanges.setCursor(exchange.id, upper) }
    }

    /// Who receives the reports when the exchange names no partner: the département's data team.
    static let dataTeam = "equipe-donnees"

    /// The programmes and structures the reports read, or a French error when the runner was given none.
    func programmeCatalogues() throws -> (ProgrammeCatalogue, StructureCatalogue) {
        guard let programmes, let structures else {
            throw Outbound.OutboundError(
                description: "Programmes absents (programmes.yaml et structures.yaml du dossier des mappings).")
        }
        return (programmes, structures)
    }

    /// The rejection notice of a received file, sent to where the exchange's notices go.
    func sendNotice(
        fileID: Int64, to endpoint: Endpoint, _ context: inout RunContext, _ summary: inout ExchangeSummary
    ) throws {
        let folder = try context.temporaryFolder()
        let written = try Outbound(flows: flows, store: store).notice(fileID: fileID, directory: folder)
        if let sent = try deliver(written.path, partner: written.partner, to: endpoint, &context, &summary) {
            notify(.noticeSent(exchange: context.exchange, written: written, sent: sent), context.log)
        }
    }

    /// Sends a generated file once: skipped when the journal has it with this content; under a new name
    /// (`-2`, `-3`…) when the remote name holds other content; recorded as sent when the remote file is this one.
    /// Returns the transfer when the file was sent now, nil when it had been before.
    @discardableResult
    func deliver(
        _ path: String, partner: String, to endpoint: Endpoint, _ context: inout RunContext,
        _ summary: inout ExchangeSummary
    ) throws -> ExchangeTransfer? {
        let exchange = context.exchange
        let sourceName = (path as NSString).lastPathComponent
        let (sha256, size) = try FilePipeline.sha256(of: path)
        var transfer = ExchangeTransfer(
            runID: context.runID, exchange: exchange.id, direction: .out, name: sourceName,
            outcome: .sent)
        transfer.sha256 = sha256
        transfer.size = Int64(size)
        let started = Date()
        let attemptsBefore = summary.attempts
        var log = context.log
        log[metadataKey: "file"] = "\(sourceName)"
        defer {
            transfer.attempts = max(1, summary.attempts - attemptsBefore)
            transfer.durationMS = Int(Date().timeIntervalSince(started) * 1000)
            try? store.exchanges.recordTransfer(transfer)
        }
        // Two partners may get files of the same name (each operator its alerts-<day>.csv).
        let sentKey = Outbound.safe(partner) + "/" + sourceName
        if let sentAs = try store.exchanges.sentFile(exchange: exchange.id, sourceName: sentKey, sha256: sha256) {
            transfer.outcome = .alreadySent
            transfer.name = sentAs
            summary.alreadySent += 1
            return nil
        }
        var target = endpoint
        target.location = endpoint.location.replacingOccurrences(of: "{partner}", with: Outbound.safe(partner))
        do {
            let transport: any Transport
            if let known = context.transports[target.location] {
                transport = known
            } else {
                transport = try target.transport(environment: environment)
                context.transports[target.location] = transport
            }
            var name = sourceName
            var suffix = 1
            while true {
                do {
                    try attempt(exchange, &summary, log) { try transport.upload(path, as: name) }
                    break
                } catch let error as TransportError where error.kind == .alreadyExists {
                    let check = path + ".remote"
                    try attempt(exchange, &summary, log) { try transport.download(name, to: check) }
                    defer { try? FileManager.default.removeItem(atPath: check) }
                    if try FilePipeline.sha256(of: check).0 == sha256 {
                        transfer.outcome = .alreadyThere
                        break
                    }
                    suffix += 1
                    guard suffix < 100 else { throw error }
                    let stem = (sourceName as NSString).deletingPathExtension
                    let ext = (sourceName as NSString).pathExtension
                    name = "\(stem)-\(suffix)" + (ext.isEmpty ? "" : ".\(ext)")
                    log.notice("remote name taken by other content, sending under another name")
                }
            }
            transfer.name = name
            transfer.movedTo = target.location
            try store.exchanges.recordSent(
                exchange: exchange.id, sourceName: sentKey, name: name, sha256: sha256, size: Int64(size),
                runID: context.runID)
            if transfer.outcome == .alreadyThere {
                summary.alreadySent += 1
                return nil
            }
            summary.sent += 1
            summary.bytes += Int64(size)
            return transfer
        } catch {
            transfer.outcome = .failed
            transfer.message = Self.describe(error)
            log.error("output not sent", metadata: ["error": "\(transfer.message ?? "")"])
            throw error
        }
    }

    var today: LocalDate {
        if let day { return day }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = config.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return LocalDate(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)!
    }

    // MARK: Retries

    /// Runs `body`, trying again after a transient failure (server down, connection broken, timeout) with an
    /// exponential backoff, up to the exchange's attempts.
    @discardableResult
    func attempt<T>(
        _ exchange: Exchange, _ summary: inout ExchangeSummary, _ log: Logger, _ body: () throws -> T
    ) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            summary.attempts += 1
            do {
                return try body()
            } catch let error as TransportError
                where error.isTransient && attempt < exchange.retries.attempts && !stop.isSet
            {
                let delay = exchange.retries.delay(beforeAttempt: attempt + 1)
                log.warning(
                    "transient failure, trying again",
                    metadata: ["attempt": "\(attempt)", "delay": "\(delay)", "error": "\(error.kind.rawValue)"])
                sleep(delay)
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? TransportError { return error.description }
        return String(describing: error)
    }

    /// Temporary folders of gateways of this host that are gone (killed mid-run).
    func cleanStaleFolders(beside work: String) {
        let parent = (work as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        where GatewayOwner.folderIsStale(name) {
            try? FileManager.default.removeItem(atPath: (parent as NSString).appendingPathComponent(name))
        }
    }
}
