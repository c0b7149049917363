import Foundation
import Logging
import ServiceLifecycle

/// The schedule as a long-lived service: runs each exchange when its cron fires. On SIGTERM or SIGINT (graceful
/// shutdown) the run in progress finishes the file in hand, then the service returns.
public struct ExchangeService: Service {
    public let runner: ExchangeRunner
    public let only: Set<String>
    /// Longest sleep between two looks at the schedule.
    public var tick: Double = 30
    /// Called after each run (tests, the CLI's log).
    public var onRun: @Sendable (ExchangeSummary) -> Void = { _ in }

    public init(runner: ExchangeRunner, only: Set<String> = []) {
        self.runner = runner
        self.only = only
    }

    public func run() async throws {
        let stop = runner.stop
        let exchanges = runner.config.exchanges.filter { only.isEmpty || only.contains($0.id) }
        await withGracefulShutdownHandler {
            while !stop.isSet && !Task.isCancelled {
                let now = Date()
                let due = exchanges.filter { (try? runner.isDue($0, at: now)) ?? false }
                for exchange in due where !stop.isSet {
                    // The transports block: the run goes on its own thread, the service stays responsive.
                    let summary = await Self.onThread { runner.run(exchange) }
                    onRun(summary)
                }
                if stop.isSet { break }
                let nextTimes = exchanges.compactMap { try? runner.nextDue($0, after: Date()) }
                let wait = max(
                    0.2, min(tick, (nextTimes.min() ?? Date().addingTimeInterval(tick)).timeIntervalSinceNow))
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(wait)) }
                } catch {
                    break
                }
            }
        } onGracefulShutdown: {
            runner.logger.notice("graceful shutdown: finishing the file in hand")
            stop.set()
        }
    }

    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
