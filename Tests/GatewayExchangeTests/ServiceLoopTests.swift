import Foundation
import GatewayExchange
import GatewayStore
import Synchronization
import Testing

@Suite("serve's scheduler: exchanges due together run side by side, in their after: order", .serialized)
struct ServiceLoopTests {
    /// Three exchanges due at once: `slow` waits for its file to settle, `fast` is independent of it, `late` comes
    /// after `slow`. Returns the order they finished in.
    static func finishingOrder(concurrency: Int) async throws -> [String] {
        let directory = try TempDirectory()
        let folders = try ["a", "b", "c"].map { try directory.folder("inbox-" + $0) }
        var gateway = try Gateway(
            """
              - { id: slow, flow: caf-beneficiaires, direction: in, transport: folder, location: \(folders[0]), pattern: "*.xml", readiness: { stable-seconds: 1 } }
              - { id: fast, flow: jobconnexion-cv, direction: in, transport: folder, location: \(folders[1]), pattern: "*.csv" }
              - { id: late, flow: job-posts, direction: in, transport: folder, location: \(folders[2]), pattern: "*.json", after: slow }
            """, in: directory)
        // A file stamped ahead of the clock: `slow` always waits for it to settle (a file stamped now would already
        // count as settled on a machine slow enough to take a second to get there). Side by side, it waits until
        // `fast` is done (at most a minute), whatever the load of the machine; one at a time, it waits its second.
        let fastDone = DispatchSemaphore(value: 0)
        if concurrency > 1 {
            gateway.runner.sleep = { _ in _ = fastDone.wait(timeout: .now() + 60) }
        } else {
            gateway.runner.sleep = { Thread.sleep(forTimeInterval: $0) }
        }
        try copySample("cnaf/caf-67-2026-09.xml", to: folders[0])
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: folders[0] + "/caf-67-2026-09.xml")
        try copySample("jobconnexion-cv/jobconnexion-profils-2026-10-01.csv", to: folders[1])
        try copySample("job-posts/offres-67-68-2026-09.json", to: folders[2])
        var service = ExchangeService(runner: gateway.runner)
        service.concurrency = concurrency
        let finished = Mutex<[String]>([])
        let stop = gateway.runner.stop
        service.onRun = { summary in
            let count = finished.withLock {
                $0.append(summary.exchange)
                return $0.count
            }
            #expect(summary.outcome == .succeeded && summary.applied == 1, "\(summary)")
            if summary.exchange == "fast" { fastDone.signal() }
            if count == 3 { stop.set() }
        }
        try await service.run()
        return finished.withLock { $0 }
    }

    @Test("Two at once: the independent exchange does not wait for the slow one; the one after it does")
    func sideBySide() async throws {
        #expect(try await Self.finishingOrder(concurrency: 2) == ["fast", "slow", "late"])
    }

    @Test("One at a time (--concurrency 1): the file's order, after: honoured")
    func oneAtATime() async throws {
        #expect(try await Self.finishingOrder(concurrency: 1) == ["slow", "fast", "late"])
    }

    @Test("An exchange waits, still due, while another gateway runs one it comes after")
    func waitsForOtherGateway() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let gateway = try Gateway(
            """
              - { id: sourcing, flow: candidates, direction: out, transport: folder, location: \(directory.path("out")) }
              - { id: feedback, flow: sourcing-feedback, direction: in, transport: folder, location: \(inbox), pattern: "*.csv", after: sourcing }
            """, in: directory)
        // Another gateway of this host, alive (this process), runs the sourcing.
        let other = "\(ProcessInfo.processInfo.hostName)/\(getpid())/other"
        let run = try gateway.store.exchanges.startRun(exchange: "sourcing", direction: .out, owner: other)
        let waiting = try gateway.run("feedback")
        #expect(waiting.outcome == .skipped && waiting.message == "attend sourcing, en cours sur \(other)")
        #expect(try gateway.runner.isDue(#require(gateway.config.exchange("feedback"))))
        try gateway.store.exchanges.finishRun(
            id: run, outcome: .succeeded, attempts: 1, files: 0, bytes: 0, durationMS: 1, message: nil)
        #expect(try gateway.run("feedback").outcome == .succeeded)
    }
}
