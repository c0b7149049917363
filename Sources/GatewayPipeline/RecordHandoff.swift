import Foundation
import GatewayCore
import GatewayFormats

/// What the reading thread hands to the storing thread: everything it needs, nothing that points into the
/// parser's memory.
enum ReadMessage: Sendable {
    case header(FluxHeader)
    /// A valid household with its record as received (kept whole). The storing thread tells repeats in the file
    /// apart (`RepeatCheck`): it has time to spare, the reading thread has none.
    case household(Household, index: Int, line: Int?, source: [UInt8])
    /// A valid record of another partner flow; `raw` as for households.
    case partner(PartnerRecord, index: Int, line: Int?, raw: String?)
    case rejected(index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue])
    /// The anomalies of the record just handed over.
    case anomalies(index: Int, line: Int?, key: String?, issues: [ValidationIssue])
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
    private let producerDone = DispatchSemaphore(value: 0)

    /// Called by the producer as its very last step.
    func producerFinished() { producerDone.signal() }

    /// Waits until the producer thread has let go of the file and the parser.
    func waitForProducer() { producerDone.wait() }

    init(capacity: Int = 1024) { self.capacity = capacity }

    /// Adds messages, waiting while the queue is full; false when the consumer has stopped.
    @discardableResult
    func put(_ messages: [ReadMessage]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while buffer.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        let wasEmpty = buffer.isEmpty
        buffer.append(contentsOf: messages)
        if wasEmpty { condition.broadcast() }
        return true
    }

    /// Takes every message queued, waiting for at least one.
    func takeAll() -> [ReadMessage] {
        condition.lock()
        defer { condition.unlock() }
        while buffer.isEmpty { condition.wait() }
        let taken = buffer
        let wasFull = buffer.count >= capacity
        buffer.removeAll(keepingCapacity: true)
        if wasFull { condition.broadcast() }
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
    /// Reads `path` on a thread of its own, handing households, partner records and rejected records to `handoff`,
    /// and finally the file-level result or the error that stopped it.
    func produce(_ path: String, into handoff: RecordHandoff) -> Thread {
        let stream = self
        let thread = Thread {
            defer { handoff.producerFinished() }
            // Messages go over in batches: one lock and at most one wake-up per batch, not per record.
            var batch: [ReadMessage] = []
            batch.reserveCapacity(64)
            do {
                let level = try stream.read(
                    path,
                    header: { header in
                        batch.append(.header(header))
                    },
                    record: { outcome in
                        let message: ReadMessage
                        switch outcome {
                        case .household(let household, let index, let line, let source):
                            message = .household(household, index: index, line: line, source: source())
                        case .partner(let partnerRecord, let index, let line, let raw):
                            // Partner records keep their raw text: the store may refuse them on an identity conflict.
                            message = .partner(partnerRecord, index: index, line: line, raw: raw())
                        case .rejected(let index, let line, let key, let raw, let issues):
                            message = .rejected(index: index, line: line, key: key, raw: raw, issues: issues)
                        case .anomalies(let index, let line, let key, let issues):
                            message = .anomalies(index: index, line: line, key: key, issues: issues)
                        case .screened:
                            // A screened record lacks its free text: it is never stored.
                            preconditionFailure("an import reads with screening off")
                        }
                        batch.append(message)
                        if batch.count >= 64 {
                            guard handoff.put(batch) else { throw ReadingCancelled() }
                            batch.removeAll(keepingCapacity: true)
                        }
                    })
                batch.append(.finished(level))
                handoff.put(batch)
            } catch {
                batch.append(.failed(error))
                handoff.put(batch)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return thread
    }
}
