import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What the scheduler is doing, for `/health`: when it last looked at the schedule, which exchange runs, and each
/// exchange's last outcome. Shared between the service and the HTTP API of the same process.
public final class SchedulerState: Sendable {
    public struct ExchangeState: Sendable, Codable, Equatable {
        public var id: String
        public var outcome: String?
        public var finishedAt: Date?
        public var durationMS: Int?
    }

    public struct Snapshot: Sendable {
        public var startedAt: Date?
        public var lastLook: Date?
        public var running: String?
        public var stopped = false
        /// Seconds at most between two looks at the schedule.
        public var tick: Double = 30
        public var exchanges: [ExchangeState] = []

        /// Running, and it looked at the schedule recently (or is busy with an exchange, which may take long).
        public func isAlive(at now: Date = Date()) -> Bool {
            guard !stopped, let lastLook else { return false }
            return running != nil || now.timeIntervalSince(lastLook) <= 3 * tick + 5
        }
    }

    private let state: Mutex<Snapshot>

    public init(exchanges: [String] = []) {
        state = Mutex(Snapshot(exchanges: exchanges.map { ExchangeState(id: $0) }))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }

    func finished(_ summary: ExchangeSummary, at date: Date) {
        update { snapshot in
            snapshot.running = nil
            let state = ExchangeState(
                id: summary.exchange, outcome: summary.outcome.rawValue, finishedAt: date,
                durationMS: summary.durationMS)
            if let index = snapshot.exchanges.firstIndex(where: { $0.id == summary.exchange }) {
                snapshot.exchanges[index] = state
            } else {
                snapshot.exchanges.append(state)
            }
        }
    }
}

/// The schedule as a long-lived service: runs each exchange when its cron fires. On SIGTERM or SIGINT (graceful
/// shutdown) the run in progress finishes the file in hand, then the service returns.
public struct ExchangeService: Service {
    public let runner: ExchangeRunner
    public let only: Set<String>
    /// Longest sleep between two looks at the schedule.
    public var tick: Double = 30
    /// Called after each run (tests, the CLI's log).
    public var onRun: @Sendable (ExchangeSummary) -> Void = { _ in }
    /// What `/health` reports of this service.
    public let state: SchedulerState

    public init(runner: ExchangeRunner, only: Set<String> = []) {
        self.runner = runner
        self.only = only
        state = SchedulerState(
            exchanges: runner.config.exchanges.map(\.id).filter { only.isEmpty || only.contains($0) })
    }

    public func run() async throws {
        let stop = runner.stop
        // Due together, exchanges run in the order of their `after:` (sourcing before the feedback it awaits).
        let exchanges = runner.config.ordered(runner.config.exchanges.filter { only.isEmpty || only.contains($0.id) })
        let tick = self.tick
        state.update {
            $0.startedAt = Date()
            $0.tick = tick
        }
        defer { state.update { $0.stopped = true } }
        await withGracefulShutdownHandler {
            while !stop.isSet && !Task.isCancelled {
                let now = Date()
                state.update { $0.lastLook = now }
                let due = exchanges.filter { (try? runner.isDue($0, at: now)) ?? false }
                runner.metrics?.dueExchanges(due.count)
                for exchange in due where !stop.isSet {
                    state.update { $0.running = exchange.id }
                    // The transports block: the run goes on its own thread, the service stays responsive.
                    let summary = await Self.onThread { runner.run(exchange) }
                    state.finished(summary, at: Date())
                    onRun(summary)
                }
                // A run hands the due mails to their server; without one, the mails waiting to be tried again go
                // here.
                if due.isEmpty && runner.notifier != nil && !stop.isSet {
                    _ = await Self.onThread { runner.deliverMails() }
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
