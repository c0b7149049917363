import Foundation
import GatewayStore
import GatewayTestSupport
import Testing

/// Two `serve` processes on one PostgreSQL database, as two servers of a département would run: the samples' whole
/// cycle, each file imported once, each output and each mail sent once.
@Suite(
    "Two serve instances on one PostgreSQL database", .serialized,
    .enabled(if: Backend.available.contains(.postgres)))
struct SharedCycleTests {
    @Test("The samples' cycle run by two serve instances together: each file imported once, each output sent once")
    func twoInstances() throws {
        let directory = try TempDirectory()
        for folder in ["Samples", "Mappings"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.path(folder), withDestinationPath: Repo.root.appendingPathComponent(folder).path)
        }
        let url = try Backend.newDatabase()
        let yaml = try String(contentsOfFile: Repo.sample("gateway.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "store: data/gateway.sqlite", with: "store: \(url)")
        try write(yaml, to: directory.path("gateway.yaml"))
        // Migrated once before the instances start, as an upgrade would do.
        let store = try Backend.store(url: url)
        let exchanges = yaml.split(separator: "\n").filter { $0.hasPrefix("  - id: ") }.map {
            String($0.dropFirst("  - id: ".count))
        }
        #expect(exchanges.count == 12)
        var pids: [pid_t] = []
        for instance in ["a", "b"] {
            pids.append(
                try spawn(
                    Repo.cli,
                    ["serve", "--no-api", "--tick", "1", "--config", "gateway.yaml", "--quiet"], cwd: directory.path,
                    out: directory.path("\(instance).out"), err: directory.path("\(instance).err")))
        }
        defer {
            for pid in pids {
                kill(pid, SIGKILL)
                _ = waitFor(pid)
            }
        }
        // Until every exchange has run to its end once and nothing runs any more.
        let deadline = Date().addingTimeInterval(180)
        var journal: [ExchangeRunEntry] = []
        while Date() < deadline {
            journal = try store.exchanges.journal(since: nil)
            let done = Set(journal.filter { $0.outcome == .succeeded }.map(\.exchange))
            if Set(exchanges).isSubset(of: done) && !journal.contains(where: { $0.outcome == .running }) { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        Thread.sleep(forTimeInterval: 2)
        for pid in pids {
            kill(pid, SIGTERM)
            #expect(waitFor(pid) == 0)
        }
        pids = []
        journal = try store.exchanges.journal(since: nil)
        let failed = journal.filter { $0.outcome == .failed || $0.outcome == .partial }
        #expect(failed.isEmpty, "\(failed.map { ($0.exchange, $0.message) })")
        // Both instances worked (the feedback's replays are journaled under their actor, `sourcing`).
        #expect(
            Set(journal.filter { $0.exchange != "reprocess" }.map(\.owner)).count == 2,
            "\(journal.map { ($0.exchange, $0.owner, $0.outcome) })")
        // Each partner file once in the ledger.
        let received = try store.ledger.receivedFiles()
        #expect(Set(received.map(\.sha256)).count == received.count, "\(received.map(\.name))")
        #expect(received.contains { $0.name == "caf-67-2026-09.xml" })
        // Each output once: no copy under another name, one journal entry per file sent.
        let sent = journal.flatMap(\.transfers).filter { $0.direction == .out && $0.outcome == .sent }
        let names = sent.filter { $0.exchange != "(courriels)" }.map { ($0.movedTo ?? "") + "/" + $0.name }
        #expect(Set(names).count == names.count, "\(names.sorted())")
        var outputs: [String] = []
        if let walker = FileManager.default.enumerator(atPath: directory.path("data/outbox")) {
            for case let path as String in walker where path.contains(".") && !path.hasPrefix("courriels") {
                outputs.append(path)
            }
        }
        #expect(!outputs.isEmpty && outputs.count == names.count, "\(outputs.sorted()) vs \(names.sorted())")
        #expect(!outputs.contains { $0.range(of: #"-2\.[a-z]+$"#, options: .regularExpression) != nil })
        // Each mail once.
        let mails = files(in: directory.path("data/outbox/courriels"))
        let mailsSent = try store.mail.counts()[.sent] ?? 0
        #expect(!mails.isEmpty && mails.count == mailsSent)
        // The feedback found its proposals.
        #expect(try store.ledger.quarantined(QuarantineFilter(waitingOnly: true)).isEmpty)
    }
}
