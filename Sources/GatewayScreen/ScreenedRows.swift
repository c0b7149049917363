import Dispatch
import Foundation
import GatewayFormats

/// Rows as `ScreenedRows` hands them over, in file order. Bytes stay valid until the next row is asked for, to be read
/// again if a report needs them.
package enum ScreenedRow {
    /// Vouched for by the screen, not yet checked for repeats.
    case valid(key: UInt64, fingerprint: UInt64, line: Int, bytes: UnsafeBufferPointer<UInt8>)
    /// Valid records in a row already checked for repeats: none conflicts, `repeated` repeat an identical one.
    case run(rows: Int, repeated: Int)
    /// Vouched for by the screen, but its business key came before with other values.
    case conflicting(line: Int, bytes: UnsafeBufferPointer<UInt8>)
    /// For the full path.
    case other(CSVRecord)
}

/// The rows of a flat CSV file screened on every core (`CSVBlockReader`), handed over in file order by `next()`.
/// When every row of a block passed the screen, its rows are also checked for repeats on every core, each thread
/// taking the keys of its shard of `seen` in file order; otherwise the caller checks them one by one (`seen.check`).
///
/// Its one concurrency style is `DispatchQueue.concurrentPerform`: fork and join, on the calling thread's `next()`,
/// once to screen a block's segments and once to check their keys; nothing runs between two calls.
package final class ScreenedRows {
    package let screen: RowScreen
    /// Business keys (digests) and fingerprints of the valid records, in one shard per thread.
    package let seen: RepeatShards
    private var blocks: CSVBlockReader
    private let segments: [ScreenedSegment]
    private let workers: Int
    /// For rows read one at a time on this thread.
    private var scratch: RowScreen.Scratch
    /// The block being handed back: where each segment's lines count from, the segment at, whether checked.
    private var lineBases: [Int] = []
    private var part = 0
    private var checked = false

    /// Segments per screening thread in each block: more segments than threads, taken by whichever thread is free,
    /// so that a thread slowed down (by the machine's other work) leaves the others less to wait for at the end of
    /// each block.
    static let segmentsPerThread = 4

    /// Bytes of the blocks whose segments are screened at once: large enough that threads seldom wait on one another,
    /// small enough to stay in cache.
    package static let defaultBlockSize = 2 << 20

    /// Threads that screen rows: `requested`, or one per core; at most 8.
    package static func threads(_ requested: Int?) -> Int {
        max(1, min(requested ?? ProcessInfo.processInfo.activeProcessorCount, 8))
    }

    /// Screens the rows left in `reader` on `threads` threads (`threads(_:)`), in blocks of `blockSize` bytes.
    package init(_ reader: CSVReader, screen: RowScreen, threads: Int, blockSize: Int = defaultBlockSize) {
        self.screen = screen
        workers = max(threads, 1)
        // Room for as many keys as a file of this size holds when its rows are about a France Travail row long.
        seen = RepeatShards(count: workers, expected: min((reader.fileSize ?? 0) / 128, 1 << 22))
        let parts = workers > 1 ? workers * Self.segmentsPerThread : 1
        blocks = CSVBlockReader(reader, parts: parts, blockSize: blockSize)
        segments = (0..<parts).map { _ in ScreenedSegment(screen.isolated()) }
        scratch = screen.makeScratch()
    }

    /// The next row (or run of rows) in file order; nil at the end of the file.
    package func next() throws -> ScreenedRow? {
        while true {
            if part < lineBases.count {
                if let row = segments[part].next(lineBase: lineBases[part], checked: checked) { return row }
                part += 1
                continue
            }
            let segments = self.segments
            guard let step = try blocks.next(segment: { part, reader in try segments[part].read(reader) }) else {
                return nil
            }
            switch step {
            case .record(let row):
                lineBases = []
                part = 0
                if let (key, fingerprint) = screen.screen(row, &scratch) {
                    return .valid(key: key, fingerprint: fingerprint, line: row.line, bytes: row.bytes)
                }
                return .other(row.decoded())
            case .block(let bases):
                check(segments.prefix(bases.count))
                lineBases = bases
                part = 0
            }
        }
    }

    /// Checks the rows of a block's segments for repeats on every core, when every row passed the screen.
    private func check(_ used: ArraySlice<ScreenedSegment>) {
        checked = workers > 1 && used.allSatisfy(\.allValid)
        guard checked else { return }
        let used = Array(used)
        for segment in used { segment.prepareChecks() }
        let seen = self.seen
        DispatchQueue.concurrentPerform(iterations: workers) { shard in
            for segment in used { segment.check(shard: shard, of: seen) }
        }
    }
}

/// One thread's part of each block: the screen's results for its segment's rows, written by one worker, then
/// handed back in order by the reading thread.
// @unchecked: a worker reads a segment, then the reading thread hands it back; the fork and join orders the two.
final class ScreenedSegment: @unchecked Sendable {
    private enum Row {
        /// Its bytes are in the block, which stays until the rows are handed back; its digests are in `digests`.
        case valid(line: Int, bytes: UnsafeBufferPointer<UInt8>)
        case other(CSVRecord)
    }

    private let screen: RowScreen
    private var scratch: RowScreen.Scratch
    private var rows: [Row] = []
    /// The business key's digest and the fingerprint of each row the screen vouched for, in order, packed: all the
    /// repeat check reads (when every row is valid, the digests of row `i` are `digests[i]`).
    private var digests: [(key: UInt64, fingerprint: UInt64)] = []
    /// Whether the screen vouched for every row.
    private(set) var allValid = true
    /// What the repeat check found for each row, when the rows are checked on every core: each thread writes the
    /// rows of its shard.
    private var repeats = UnsafeMutableBufferPointer<Repeat>.allocate(capacity: 0)
    /// The next row to hand back, and how many valid rows came before it.
    private var cursor = 0
    private var validBefore = 0

    init(_ screen: RowScreen) {
        self.screen = screen
        scratch = screen.makeScratch()
    }

    deinit { repeats.deallocate() }

    /// Screens the rows of `reader` (a block's segment), after dropping those of the block before.
    func read(_ reader: CSVReader) throws {
        // Locals in the loop: a class's stored properties would be checked for exclusive access at every row.
        var rows = self.rows
        var digests = self.digests
        var scratch = self.scratch
        self.rows = []
        self.digests = []
        defer {
            self.rows = rows
            self.digests = digests
            self.scratch = scratch
        }
        rows.removeAll(keepingCapacity: true)
        digests.removeAll(keepingCapacity: true)
        allValid = true
        cursor = 0
        validBefore = 0
        while let row = try reader.nextRaw() {
            if let (key, fingerprint) = screen.screen(row, &scratch) {
                rows.append(.valid(line: row.line, bytes: row.bytes))
                digests.append((key, fingerprint))
            } else {
                rows.append(.other(row.decoded()))
                allValid = false
            }
        }
    }

    /// Room for the repeat check of every row (on the reading thread, before `check`).
    func prepareChecks() {
        guard repeats.count < rows.count else { return }
        repeats.deallocate()
        repeats = .allocate(capacity: max(rows.count, 2 * repeats.count))
    }

    /// Checks the rows whose keys are in `shard` (all rows valid), in order; one thread per shard.
    func check(shard: Int, of seen: RepeatShards) {
        let table = seen.table(shard)
        let repeats = self.repeats
        digests.withUnsafeBufferPointer { digests in
            for index in digests.indices where seen.shard(of: digests[index].key) == shard {
                repeats[index] = table.check(digests[index].key, fingerprint: digests[index].fingerprint)
            }
        }
    }

    /// The next of the rows in order, their lines counted from `lineBase` (the line before the segment's first);
    /// once `checked`, as runs of valid rows and the conflicts between them. Nil after the last.
    func next(lineBase: Int, checked: Bool) -> ScreenedRow? {
        // Locals in the loop, as in `read`.
        let rows = self.rows
        var index = cursor
        defer { cursor = index }
        if checked {
            let repeats = self.repeats
            var run = (rows: 0, repeated: 0)
            while index < rows.count {
                guard case .valid(let line, let bytes) = rows[index] else {
                    index += 1
                    continue
                }
                switch repeats[index] {
                case .first: run.rows += 1
                case .identical:
                    run.rows += 1
                    run.repeated += 1
                case .conflicting:
                    // The run before it first; the conflict at the next call.
                    if run.rows > 0 { return .run(rows: run.rows, repeated: run.repeated) }
                    index += 1
                    return .conflicting(line: lineBase + line, bytes: bytes)
                }
                index += 1
            }
            return run.rows > 0 ? .run(rows: run.rows, repeated: run.repeated) : nil
        }
        guard index < rows.count else { return nil }
        index += 1
        switch rows[index - 1] {
        case .valid(let line, let bytes):
            let (key, fingerprint) = digests[validBefore]
            validBefore += 1
            return .valid(key: key, fingerprint: fingerprint, line: lineBase + line, bytes: bytes)
        case .other(let record):
            return .other(
                CSVRecord(
                    fields: record.fields, line: lineBase + record.line, endLine: lineBase + record.endLine,
                    raw: record.raw))
        }
    }
}
