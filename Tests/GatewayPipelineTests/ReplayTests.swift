import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// Everything is recoverable: a quarantined record reprocessed after a mapping fix, a refused file retried, a
/// feedback that waits for its proposal. Nothing applied is applied twice.
@Suite("Replay: reprocess the quarantine, retry a refused file")
struct ReplayTests {
    static let flows = try! MappingLoader.loadAll(directory: Repo.mappings.path)

    /// The flows with the CNAF checks set otherwise, as a data team edits its mapping.
    static func flows(_ checks: [PlausibilityCheck: CheckSeverity]) -> [String: FlowMapping] {
        var flows = Self.flows
        flows["caf-beneficiaires"]?.checks = CheckPolicy(checks)
        return flows
    }

    static func quarantine(_ store: GatewayStore) throws -> [[String]] {
        var rows: [[String]] = []
        try store.export(.quarantine) { rows.append($0) }
        return Array(rows.dropFirst())
    }

    @Test(
        "a record quarantined by a check set to reject is applied once the mapping warns; again changes nothing",
        arguments: Backend.available)
    func reprocessAfterMappingFix(backend: Backend) throws {
        let store = try backend.store()
        let strict = Self.flows([.householdWithoutApplicant: .reject])
        let first = try FilePipeline(flow: strict["caf-beneficiaires"]!, logger: silentLogger).importFile(
            path: Repo.sample("odd/no-applicant.xml"), ledger: store.ledger)
        #expect(first.quarantined == 1)
        // Unchanged mapping: still refused, with the same error, where the file has it.
        let same = try Replayer(flows: strict, store: store, logger: silentLogger).reprocess(
            QuarantineFilter(fileID: first.fileID), actor: "test")
        #expect(same.records == 1 && same.applied == 0 && same.quarantined == 1)
        #expect(same.errors.first?.line == 186 && same.errors.first?.path == "InfosFoyerRSA[2]")
        #expect(same.errors.first?.record == 2)
        // The mapping fixed: applied, with its status changes, and the anomaly it now is.
        let before = try store.tableCounts()
        let fixed = try Replayer(flows: Self.flows, store: store, logger: silentLogger).reprocess(
            QuarantineFilter(flow: "caf-beneficiaires", type: "household-without-applicant"), actor: "test")
        #expect(fixed.records == 1 && fixed.applied == 1 && fixed.quarantined == 0 && fixed.exitCode == 0)
        #expect(fixed.statusChanges > 0)
        let after = try store.tableCounts()
        #expect(after["household"] == (before["household"] ?? 0) + 1)
        #expect(after["quarantine"] == before["quarantine"], "the entry is kept, marked, never deleted")
        let row = try #require(try Self.quarantine(store).first)
        #expect(row[7] == "reprocessed" && !row[8].isEmpty)
        var anomalies: [[String]] = []
        try store.export(.anomalies) { anomalies.append($0) }
        #expect(anomalies.count == 2 && anomalies[1][7] == "household-without-applicant" && anomalies[1][4] == "2")
        // Once more: nothing to take, nothing changes.
        let again = try Replayer(flows: Self.flows, store: store, logger: silentLogger).reprocess(
            QuarantineFilter(), actor: "test")
        #expect(again.records == 0)
        var counts = try store.tableCounts()
        counts["received_file"] = after["received_file"]
        #expect(counts == after)
        // Journaled and audited.
        let runs = try store.exchanges.journal(since: nil, exchange: "reprocess")
        #expect(runs.count == 3 && runs.allSatisfy { $0.direction == .replay })
        #expect(try store.access.auditLog().filter { $0.action == "reprocess" }.count == 3)
    }

    @Test("a CSV row is read again with its file's header and name (the name gives the kind)")
    func reprocessCSV() throws {
        let store = try GatewayStore()
        let path = Repo.root.appendingPathComponent(
            "Samples/ft-inscriptions/bad/pe-cg-inscriptions-unknown-category.csv"
        ).path
        let flow = try #require(Self.flows["ft-inscriptions"])
        let first = try FilePipeline(flow: flow, logger: silentLogger).importFile(path: path, ledger: store.ledger)
        #expect(first.quarantined == 1)
        // Category 9 does not exist: a mapping that reads 9 as 1 fixes the row.
        var fixedFlows = Self.flows
        let text = try String(
            contentsOfFile: Repo.mappings.appendingPathComponent("ft-inscriptions-csv.yaml").path, encoding: .utf8)
        let fixed = try MappingLoader.load(
            yaml: text.replacingOccurrences(
                of: "  category: { path: code, transforms: [trim, strip-leading-zeros] }",
                with:
                    "  category: { path: code, transforms: [trim, strip-leading-zeros], codes: { \"1\": \"1\", \"2\": \"2\", \"3\": \"3\", \"9\": \"1\" } }"
            ))
        var layout = fixedFlows["ft-inscriptions"]!
        layout.record = fixed.record
        fixedFlows["ft-inscriptions"] = layout
        let report = try Replayer(flows: fixedFlows, store: store, logger: silentLogger).reprocess(
            QuarantineFilter(fileID: first.fileID), actor: "test")
        #expect(report.applied == 1, "\(report.errors.map(\.message))")
        var records: [[String]] = []
        try store.export(.partnerRecords) { records.append($0) }
        #expect(records.dropFirst().contains { $0[8].contains(#""kind":"inscription""#) && $0[7] == "1" })
    }

    @Test("feedback read before its proposal waits, and is applied once sourcing makes the proposal")
    func feedbackWaitsForItsProposal() throws {
        let (store, outbound, temp) = try OutboundTests.prepared(.sqlite)
        let feedbackFile = Repo.root.appendingPathComponent(
            "Samples/sourcing-feedback/retours-equipes-entreprises-2026-11-10.csv"
        ).path
        let early = try FilePipeline(flow: try #require(Self.flows["sourcing-feedback"]), logger: silentLogger)
            .importFile(path: feedbackFile, ledger: store.ledger)
        #expect(early.waiting == 3 && early.quarantined == 3 && early.errors.isEmpty)
        #expect(try store.ledger.quarantined(QuarantineFilter(waitingOnly: true)).count == 3)
        // The notice does not blame the partner for the gateway's order.
        let notice = try outbound.notice(fileID: try #require(early.fileID), directory: temp.url.path)
        #expect(notice.records == 0)
        _ = try outbound.source(postID: "DE67-2026-0412", format: .csv, directory: temp.url.path, on: OutboundTests.day)
        _ = try outbound.source(
            postID: "CRE68-2026-0087", format: .csv, directory: temp.url.path, on: OutboundTests.day)
        #expect(try store.ledger.quarantined(QuarantineFilter(waitingOnly: true)).isEmpty)
        let rows = try Self.quarantine(store).filter { $0[0] == String(early.fileID ?? 0) }
        #expect(rows.count == 3 && rows.allSatisfy { $0[7] == "reprocessed" })
        var outcomes: [String] = []
        try store.export(.proposals) { outcomes.append($0[7]) }
        #expect(outcomes.dropFirst().filter { !$0.isEmpty }.count == 3)
        // The same file again is already received: its hash no longer blocks anything.
        let again = try FilePipeline(flow: try #require(Self.flows["sourcing-feedback"]), logger: silentLogger)
            .importFile(path: feedbackFile, ledger: store.ledger)
        #expect(again.alreadyReceived)
    }

    @Test(
        "a file refused whole is retried from its kept copy after a mapping fix, applied once",
        arguments: Backend.available)
    func retryRefusedFile(backend: Backend) throws {
        let store = try backend.store()
        let directory = try TempDirectory()
        let strict = Self.flows([.countMismatch: .reject])
        let refused = try FilePipeline(flow: strict["caf-beneficiaires"]!, logger: silentLogger).importFile(
            path: Repo.sample("odd/count-mismatch.xml"), ledger: store.ledger, keepDirectory: directory.path("refused"))
        #expect(refused.outcome == .rejected && refused.keptPath != nil)
        let fileID = try #require(refused.fileID)
        // Unchanged mapping: refused again, a second attempt recorded.
        let again = try Replayer(flows: strict, store: store, logger: silentLogger).retry(fileID: fileID, actor: "test")
        #expect(again.outcome == .rejected)
        #expect(try store.tableCounts()["household"] == 0)
        // Fixed: applied in the same ledger entry, third attempt.
        let applied = try Replayer(flows: Self.flows, store: store, logger: silentLogger).retry(
            fileID: fileID, actor: "test")
        #expect(applied.outcome == .applied && applied.accepted == 3 && applied.fileID == fileID)
        #expect(applied.counts.anomalies == 1)
        let entry = try #require(try store.ledger.receivedFile(id: fileID))
        #expect(entry.outcome == .applied && entry.attempts == 3)
        #expect(try store.ledger.fileAttempts(fileID: fileID).map(\.outcome) == [.rejected, .applied])
        #expect(try store.ledger.receivedFiles().count == 1)
        // Never twice.
        #expect(throws: ReplayError.self) {
            try Replayer(flows: Self.flows, store: store, logger: silentLogger).retry(fileID: fileID, actor: "test")
        }
        let counts = try store.tableCounts()
        let sameFile = try FilePipeline(flow: Self.flows["caf-beneficiaires"]!, logger: silentLogger).importFile(
            path: Repo.sample("odd/count-mismatch.xml"), ledger: store.ledger)
        #expect(sameFile.alreadyReceived && sameFile.previousOutcome == .applied)
        #expect(try store.tableCounts() == counts)
        #expect(try store.exchanges.journal(since: nil, exchange: "retry").count == 2)
    }
}
