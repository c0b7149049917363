import Foundation
import GatewayCore
import GatewayFormats

/// What the reading thread hands to the storing thread: everything it needs, nothing that points into the
/// parser's memory.
enum ReadMessage: Sendable {
    case header(FluxHeader)
    case household(Household, index: Int, line: Int?)
    /// An identical repeat of a household already read in this file.
    case duplicate(index: Int)
    case rejected(index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue])
    case finished(RecordStream.FileLevel)
    case failed(any Error)
}

/// A bounded queue between the thread that reads and maps a file and the thread that stores it, so that the
/// two cores of a small machine work at once while memory stays flat.
final class RecordHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [ReadMessage] = []
    private let capacity: Int
    private var cancelled = false

    init(capacity: Int = 512) { self.capacity = capacity }

    /// Adds a message, waiting while the queue is full; false when the consumer has stopped.
    @discardableResult
    func put(_ message: ReadMessage) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while buffer.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        buffer.append(message)
        condition.broadcast()
        return true
    }

    /// Takes every message queued, waiting for at least one.
    func takeAll() -> [ReadMessage] {
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty { condition.wait() }
        let taken = buffer
        buffer.removeAll(keepingCapacity: true)
        condition.broadcast()
        return taken
    }

    /// The consumer gives up (a database error): the producer stops at its next message.
    func cancel() {
        condition.lock()
        cancelled = true
        buffer.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}

/// The producer stopped because the consumer did.
struct ReadingCancelled: Error {}

extension RecordStream {
    /// Reads `path` on a thread of its own, handing households (already de-duplicated within the file) and
    /// rejected records to `handoff`, and finally the file-level result or the error that stopped it.
    func produce(_ path: String, into handoff: RecordHandoff) -> Thread {
        let stream = self
        let thread = Thread {
            var seen: [HouseholdKey: Int] = [:]
            do {
                let level = try stream.read(
                    path,
                    header: { header in
                        guard handoff.put(.header(header)) else { throw ReadingCancelled() }
                    },
                    record: { outcome in
                        let message: ReadMessage
                        switch outcome {
                        case .household(let household, let index, let line, let raw):
                            let fingerprint = household.hashValue
                            if let earlier = seen[household.key] {
                                message =
                                    earlier == fingerprint
                                    ? .duplicate(index: index)
                                    : .rejected(
                                        index: index, line: line, key: household.key.description, raw: raw(),
                                        issues: [FilePipeline.conflict(household.key, line: line)])
                            } else {
                                seen[household.key] = fingerprint
                                message = .household(household, index: index, line: line)
                            }
                        case .rejected(let index, let line, let key, let raw, let issues):
                            message = .rejected(index: index, line: line, key: key, raw: raw, issues: issues)
                        }
                        guard handoff.put(message) else { throw ReadingCancelled() }
                    })
                handoff.put(.finished(level))
            } catch {
                handoff.put(.failed(error))
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return thread
    }
}
