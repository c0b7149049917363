import GatewayCore
import Prometheus

/// The gateway's Prometheus metrics: records by flow and outcome, exchange (import) durations, HTTP requests,
/// errors. One registry per server, emitted by `/metrics`.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    private static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Records of one import, by flow and outcome (accepted, duplicate, quarantined), and the file's outcome.
    func imported(
        flow: String, fileOutcome: FileOutcome, accepted: Int, duplicates: Int, quarantined: Int, seconds: Duration
    ) {
        for (outcome, count) in [("accepted", accepted), ("duplicate", duplicates), ("quarantined", quarantined)]
        where count > 0 {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "gateway", metricName: "records", unitName: "total",
                    helpText: "Records received, by flow and outcome."),
                labels: [("flow", flow), ("outcome", outcome)]
            ).increment(by: Int64(count))
        }
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "files", unitName: "total",
                helpText: "Files received, by flow and outcome (applied, rejected, unreadable, already-received)."),
            labels: [("flow", flow), ("outcome", fileOutcome.rawValue)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "exchange_duration", unitName: "seconds",
                helpText: "Duration of an exchange (one file read, checked and stored), by flow."),
            labels: [("flow", flow)], buckets: Self.durationBuckets
        ).record(seconds)
    }

    /// One HTTP request, by route and status class.
    func request(route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "http_requests", unitName: "total",
                helpText: "HTTP requests, by route and status."),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "http_request_duration", unitName: "seconds",
                helpText: "HTTP request durations, by route."),
            labels: [("route", route)], buckets: Self.durationBuckets
        ).record(duration)
    }

    /// An error: `client` (4xx), `server` (5xx), `timeout`.
    func error(kind: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "errors", unitName: "total", helpText: "Errors, by kind."),
            labels: [("kind", kind)]
        ).increment()
    }

    /// The exposition text.
    public func emit() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
