import CoreMetrics
import Foundation
import GatewayCore
import Prometheus

/// The gateway's metrics, recorded through the swift-metrics API into one Prometheus registry: `/metrics` shows it
/// (`serve`, `api`), and `run --metrics-file` writes it for a node exporter's textfile collector.
///
/// - `gateway_files_total{flow, outcome}`, `gateway_records_total{flow, outcome}`: files received (applied,
///   rejected, unreadable, already-received) and their records (accepted, duplicate, quarantined);
/// - `gateway_exchange_duration_seconds{flow}`: one file read, checked and stored;
/// - `gateway_exchange_runs_total{exchange, outcome}`, `gateway_exchange_run_duration_seconds{exchange}`,
///   `gateway_exchange_files_total{exchange, outcome}`: the scheduled exchanges, failures included;
/// - `gateway_exchanges_due`: the exchanges due at the scheduler's last look (its queue);
/// - `gateway_mails_total{outcome}`: mails sent, to be tried again, abandoned;
/// - `gateway_http_requests_total{route, status}`, `gateway_http_request_duration_seconds{route}`,
///   `gateway_errors_total{kind}`: the API.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over `registry`; `bootstrap()` makes it the process's.
    public let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
    }

    /// Makes this registry the process's metrics system, so that the libraries' metrics land beside the gateway's.
    /// Once per process (the CLI's commands); a second call is ignored.
    public func bootstrap() {
        Self.bootstrapOnce.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(factory)
            done = true
        }
    }

    private static let bootstrapOnce = LockedBox(false)

    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900),
    ]

    /// Records of one import, by flow and outcome (accepted, duplicate, quarantined), and the file's outcome.
    public func imported(
        flow: String, fileOutcome: FileOutcome, accepted: Int, duplicates: Int, quarantined: Int, seconds: Duration
    ) {
        for (outcome, count) in [("accepted", accepted), ("duplicate", duplicates), ("quarantined", quarantined)]
        where count > 0 {
            counter("gateway_records_total", [("flow", flow), ("outcome", outcome)]).increment(by: count)
        }
        counter("gateway_files_total", [("flow", flow), ("outcome", fileOutcome.rawValue)]).increment()
        timer("gateway_exchange_duration_seconds", [("flow", flow)]).record(seconds)
    }

    /// One run of a scheduled exchange: its outcome, duration and files by outcome.
    public func exchangeRun(exchange: String, outcome: String, duration: Duration, files: [(String, Int)]) {
        counter("gateway_exchange_runs_total", [("exchange", exchange), ("outcome", outcome)]).increment()
        timer("gateway_exchange_run_duration_seconds", [("exchange", exchange)]).record(duration)
        for (outcome, count) in files where count > 0 {
            counter("gateway_exchange_files_total", [("exchange", exchange), ("outcome", outcome)])
                .increment(by: count)
        }
    }

    /// The exchanges due at the scheduler's last look.
    public func dueExchanges(_ count: Int) {
        CoreMetrics.Gauge(label: "gateway_exchanges_due", dimensions: [], factory: factory).record(count)
    }

    /// Mails handed to the server (`sent`), to be tried again (`failed`), given up (`abandoned`).
    public func mails(sent: Int, failed: Int, abandoned: Int) {
        for (outcome, count) in [("sent", sent), ("failed", failed), ("abandoned", abandoned)] where count > 0 {
            counter("gateway_mails_total", [("outcome", outcome)]).increment(by: count)
        }
    }

    /// One HTTP request, by route and status.
    public func request(route: String, status: Int, duration: Duration) {
        counter("gateway_http_requests_total", [("route", route), ("status", String(status))]).increment()
        timer("gateway_http_request_duration_seconds", [("route", route)]).record(duration)
    }

    /// An error: `client` (4xx), `server` (5xx), `timeout`.
    public func error(kind: String) {
        counter("gateway_errors_total", [("kind", kind)]).increment()
    }

    /// The exposition text.
    public func emit() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// Writes the exposition text to `path` for a node exporter's textfile collector: complete before it appears
    /// (written beside it, then renamed).
    public func write(to path: String) throws {
        let partial = path + ".part"
        try Data(emit()).write(to: URL(fileURLWithPath: partial))
        guard rename(partial, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory)
    }
}

extension CoreMetrics.Timer {
    fileprivate func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// A value behind a lock.
private final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
