import Foundation
import GatewayCore
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
        /// The exchanges running now.
        public var running: [String] = []
        public var stopped = false
        /// Seconds at most between two looks at the schedule.
        public var tick: Double = 30
        public var exchanges: [ExchangeState] = []

        /// Running, and it looked at the schedule recently (or is busy with an exchange, which may take long).
        public func isAlive(at now: Date = Date()) -> Bool {
            guard !stopped, let lastLook else { return false }
            return !running.isEmpty || now.timeIntervalSince(lastLook) <= 3 * tick + 5
        }
    }

    private let state: Mutex<Snapshot>

    public init(exchanges: [String] = []) {
        state = Mutex(Snapshot(exchanges: exchanges.map { ExchangeState(id: $0) }))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Reads and changes the snapshot in one step.
    @discardableResult
    func update<T>(_ change: (inout Snapshot) -> T) -> T { state.withLock { change(&$0) } }

    func finished(_ summary: ExchangeSummary, at date: Date) {
        update { snapshot in
            snapshot.running.removeAll { $0 == summary.exchange }
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
    /// Exchanges run at once, at most, when due together and independent (none comes `after:` another).
    public var concurrency = 2
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
                // One started by hand (`runNow`) and still running is not started twice.
                let running = state.snapshot.running
                let due = exchanges.filter { !running.contains($0.id) && ((try? runner.isDue($0, at: now)) ?? false) }
                runner.metrics?.dueExchanges(due.count)
                await runTogether(due)
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

    /// Starts exchange `id` now, outside its schedule (a staff member retrying a failed exchange from the console),
    /// as the schedule would: marked running for `/health`, journaled, told to `onRun`. Returns without waiting.
    public func runNow(_ id: String) -> ExchangeStart {
        guard
            let exchange = runner.config.exchanges.first(where: { $0.id == id && (only.isEmpty || only.contains(id)) })
        else { return .unknown }
        let claimed = state.update { snapshot -> Bool in
            guard !snapshot.running.contains(id) else { return false }
            snapshot.running.append(id)
            return true
        }
        guard claimed else { return .alreadyRunning }
        let (runner, state, onRun) = (runner, state, onRun)
        Task.detached {
            let summary = await Self.onThread { runner.run(exchange) }
            state.finished(summary, at: Date())
            onRun(summary)
        }
        return .started
    }

    /// Runs exchanges due together, at most `concurrency` at once: each once those of the batch it comes after
    /// (directly or not) are done; the others side by side (a download beside an import, an upload beside both).
    /// Writes to one SQLite store take turns in its single writer; on PostgreSQL, files are applied one at a time.
    func runTogether(_ due: [Exchange]) async {
        let config = runner.config
        let before = Dictionary(due.map { ($0.id, config.predecessors(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let (runner, state, onRun, stop, bound) = (runner, state, onRun, runner.stop, max(1, concurrency))
        var waiting = due
        var running = Set<String>()
        await withTaskGroup(of: ExchangeSummary.self) { group in
            while true {
                while running.count < bound && !stop.isSet,
                    let index = waiting.firstIndex(where: { exchange in
                        before[exchange.id, default: []].allSatisfy { id in
                            !running.contains(id) && !waiting.contains { $0.id == id }
                        }
                    })
                {
                    let exchange = waiting.remove(at: index)
                    running.insert(exchange.id)
                    state.update { $0.running.append(exchange.id) }
                    // The transports block: the run goes on its own thread, the service stays responsive.
                    group.addTask { await Self.onThread { runner.run(exchange) } }
                }
                if stop.isSet { waiting.removeAll() }
                guard let summary = await group.next() else { break }
                running.remove(summary.exchange)
                state.finished(summary, at: Date())
                onRun(summary)
            }
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
