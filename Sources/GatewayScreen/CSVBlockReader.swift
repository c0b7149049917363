import Dispatch
import GatewayFormats

/// Reads the records of a CSV file on several threads: in blocks of about `blockSize` bytes of whole lines, each cut
/// in `parts` segments that worker threads read at once (`DispatchQueue.concurrentPerform`: fork and join, each
/// block's segments read before `next` returns).
///
/// - `next(segment:)` cuts the next block and runs `segment(part, reader)` on a worker thread for each of its
///   segments: it reads segment `part` to its end with `reader.nextRaw()`, keeping what it found in state of its own
///   (its line numbers count from 1); it throws what `nextRaw()` threw.
/// - When every segment read cleanly (which proves that each began at a record's start: the one before it ended
///   outside quotes), it gives `.block(lineBases:)`: a segment's line `n` is the file's line `lineBases[part] + n`.
/// - Otherwise the block is read again on this thread one record at a time, each given as `.record`, as are those no
///   block can hold (a record longer than a block, lone CR line ends). A file error is thrown by that read, at its
///   record.
///
/// What `next` gives (a block's bytes, a record) stays valid until it is called again.
package struct CSVBlockReader {
    /// What `next` read.
    package enum Step {
        /// A block whose segments all read cleanly, with the line each segment's lines count from.
        case block(lineBases: [Int])
        /// A record read on this thread.
        case record(CSVRawRecord)
    }

    let reader: CSVReader
    let parts: Int
    let blockSize: Int
    /// File offset up to which records are read one at a time: the end of a block that did not read cleanly.
    private var oneAtATimeUntil = 0

    package init(_ reader: CSVReader, parts: Int, blockSize: Int) {
        self.reader = reader
        self.parts = max(parts, 1)
        self.blockSize = blockSize
    }

    /// The next block or record; nil at the end of the file.
    package mutating func next(segment: @Sendable (_ part: Int, _ reader: CSVReader) throws -> Void) throws -> Step? {
        if reader.bytesConsumed < oneAtATimeUntil, let row = try reader.nextRaw() { return .record(row) }
        while true {
            guard let block = try reader.nextBlock(size: blockSize, parts: parts) else {
                guard let row = try reader.nextRaw() else { return nil }
                return .record(row)
            }
            let firstLine = reader.nextLine
            let encoding = reader.detectedEncoding
            let readers = SegmentReaders(block.segments.map(reader.segmentReader))
            let outcomes = SegmentOutcomes(count: block.segments.count)
            DispatchQueue.concurrentPerform(iterations: block.segments.count) { part in
                let reader = readers.readers[part]
                var failed = false
                do { try segment(part, reader) } catch { failed = true }
                outcomes.set(part, reader.segmentOutcome(startingEncoding: encoding, failed: failed))
            }
            guard reader.consume(block, segments: outcomes.all) else {
                // Quoted line breaks, most likely: the next few blocks are read one record at a time too.
                reader.readsOneAtATime(until: block.end + 4 * blockSize)
                oneAtATimeUntil = block.end
                if reader.bytesConsumed < oneAtATimeUntil, let row = try reader.nextRaw() { return .record(row) }
                continue
            }
            var lineBases: [Int] = []
            lineBases.reserveCapacity(outcomes.all.count)
            var base = firstLine - 1
            for outcome in outcomes.all {
                lineBases.append(base)
                base += outcome.lines
            }
            return .block(lineBases: lineBases)
        }
    }
}

/// The readers of a block's segments, each handed to one worker thread.
// @unchecked: a reader is not Sendable; each is used by the one worker given its index, and dropped after the join.
private final class SegmentReaders: @unchecked Sendable {
    let readers: [CSVReader]
    init(_ readers: [CSVReader]) { self.readers = readers }
}

/// How each segment of a block read, each written by its own worker.
// @unchecked: each worker writes only its own slot, through a pointer (no copy on write); read after the join.
private final class SegmentOutcomes: @unchecked Sendable {
    private var outcomes: [CSVReader.SegmentOutcome]
    init(count: Int) {
        outcomes = Array(
            repeating: CSVReader.SegmentOutcome(lines: 0, clean: false, sawMultibyteUTF8: false), count: count)
    }
    func set(_ part: Int, _ outcome: CSVReader.SegmentOutcome) {
        outcomes.withUnsafeMutableBufferPointer { $0[part] = outcome }
    }
    var all: [CSVReader.SegmentOutcome] { outcomes }
}
