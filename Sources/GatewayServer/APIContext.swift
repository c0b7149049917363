import GatewayStore
import Hummingbird
import HummingbirdAuth
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The request context: Hummingbird's core storage, the client's address and the key the caller authenticated
/// with.
public struct APIContext: RequestContext, RemoteAddressRequestContext, SessionRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The console's session (hummingbird-auth), under `/console` only.
    public let sessions = SessionContext<ConsoleSession>()
    public var caller: APIKeyRecord?
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.caller = nil
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// A token bucket per key: `rate` requests a second on average, `burst` at once.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    let rate: Double
    let burst: Double
    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Whether `key` has a token left, without taking it: nil when it has, else the seconds to wait.
    func waiting(_ key: String, now: ContinuousClock.Instant = .now) -> Double? {
        guard rate > 0 else { return nil }
        return buckets.withLockedValue { buckets in
            guard let bucket = buckets[key] else { return nil }
            let elapsed = now - bucket.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let tokens = min(burst, bucket.tokens + seconds * rate)
            if tokens >= 1 {
                // Refilled to the brim: forgotten, so that the table does not grow with every address seen.
                if tokens >= burst { buckets[key] = nil }
                return nil
            }
            return (1 - tokens) / rate
        }
    }

    /// Takes a token for `key`; nil when allowed, else the seconds to wait.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Double? {
        guard rate > 0 else { return nil }
        return buckets.withLockedValue { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, last: now)
            let elapsed = now - bucket.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.last = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return (1 - bucket.tokens) / rate
        }
    }
}

/// Runs blocking work (SQLite, files) on NIO's thread pool, off the cooperative threads. If the awaiting task is
/// cancelled (request timeout), it stops waiting at once; the work itself runs to its end (an import is all or
/// nothing in its own transaction) and its result is dropped.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    let slot = NIOLockedValueBox<(continuation: CheckedContinuation<T, any Error>?, done: Bool)>((nil, false))
    @Sendable func finish(_ result: Result<T, any Error>) {
        let continuation = slot.withLockedValue { state -> CheckedContinuation<T, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let alreadyDone = slot.withLockedValue { state -> Bool in
                if state.done { return true }
                state.continuation = continuation
                return false
            }
            if alreadyDone {
                continuation.resume(throwing: CancellationError())
                return
            }
            NIOThreadPool.singleton.submit { state in
                guard case .active = state else {
                    finish(.failure(CancellationError()))
                    return
                }
                finish(Result { try work() })
            }
        }
    } onCancel: {
        let continuation = slot.withLockedValue { state -> CheckedContinuation<T, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: CancellationError())
    }
}

/// Runs `body`, or throws `RequestTimeout` once `limit` has passed.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw RequestTimeout() }
        guard let value = first else { throw RequestTimeout() }
        return value
    }
}
