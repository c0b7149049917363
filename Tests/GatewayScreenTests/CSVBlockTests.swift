import GatewayCore
import GatewayFormats
import Testing

@testable import GatewayScreen

/// `CSVBlockReader` (records read in blocks whose segments other threads read) against `next()` one record at
/// a time: the same records, the same lines, the same encoding state and the same error, however the blocks cut the
/// file.
@Suite struct CSVBlockTests {
    /// What a read found: the records as `next()` gives them, then the error that stopped it, if any.
    struct Read: Equatable {
        var records: [CSVRecord] = []
        var error: String?
        var encoding: TextEncoding = .utf8
        var warnings: [String] = []
    }

    /// Each part's records, written by one worker.
    // @unchecked: each worker writes only its own part's list; the test reads them after the block's join.
    final class Parts: @unchecked Sendable {
        var records: [[CSVRecord]]
        init(_ count: Int) { records = Array(repeating: [], count: count) }
    }

    static func serially(_ bytes: [UInt8], _ options: CSVOptions) -> Read {
        var read = Read()
        do {
            let reader = try CSVReader(bytes: bytes, options: options)
            do {
                while let record = try reader.next() { read.records.append(record) }
            } catch {
                read.error = "\(error.issue.line ?? 0): \(error.issue.message)"
            }
            read.encoding = reader.detectedEncoding
            read.warnings = reader.encodingWarnings.map(\.message)
        } catch {
            read.error = "header: \(error.issue.message)"
        }
        return read
    }

    static func inBlocks(_ bytes: [UInt8], _ options: CSVOptions, parts: Int, blockSize: Int) -> (Read, blocks: Int) {
        var read = Read()
        var blocks = 0
        do {
            let reader = try CSVReader(bytes: bytes, options: options)
            let found = Parts(parts)
            do {
                var reading = CSVBlockReader(reader, parts: parts, blockSize: blockSize)
                while let step = try reading.next(segment: { part, segment in
                    found.records[part].removeAll()
                    while let row = try segment.nextRaw() { found.records[part].append(row.decoded()) }
                }) {
                    switch step {
                    case .block(let lineBases):
                        blocks += 1
                        for (part, lineBase) in lineBases.enumerated() {
                            for record in found.records[part] {
                                read.records.append(
                                    CSVRecord(
                                        fields: record.fields, line: lineBase + record.line,
                                        endLine: lineBase + record.endLine, raw: record.raw))
                            }
                        }
                    case .record(let row): read.records.append(row.decoded())
                    }
                }
            } catch let error as FormatError {
                read.error = "\(error.issue.line ?? 0): \(error.issue.message)"
            } catch {
                read.error = "\(error)"
            }
            read.encoding = reader.detectedEncoding
            read.warnings = reader.encodingWarnings.map(\.message)
        } catch {
            read.error = "header: \(error.issue.message)"
        }
        return (read, blocks)
    }

    static let cells: [[UInt8]] = [
        "x", "", "Strasbourg", "12\"B", "\"q;uoted\"", "\"two\nlines\"", "\"three\r\nphysical\nlines\"",
        "\"say \"\"hi\"\"\"", "\"closed\"after", "  spaced  ", "héllo",
    ].map { Array($0.utf8) }
    static let endings: [[UInt8]] = ["\n", "\n", "\n", "\r\n", "\r\n", "\n\n", "\r\n\r\n"].map { Array($0.utf8) }

    /// A file of `rows` random rows; `spoil` adds what ends or changes a read: Latin-1 bytes (a switch of
    /// encoding), a NUL byte, an unclosed quote, lone CR line ends.
    static func file(seed: UInt64, rows: Int, spoil: Int) -> [UInt8] {
        var random = SplitMix64(state: seed)
        var bytes = Array("a;b;c\n".utf8)
        for row in 0..<rows {
            for column in 0..<(Int.random(in: 0..<10, using: &random) == 0 ? 2 : 3) {
                if column > 0 { bytes.append(UInt8(ascii: ";")) }
                bytes += cells.randomElement(using: &random)!
            }
            if row == rows / 2 {
                switch spoil {
                case 1: bytes += [0x63, 0xE9]  // « cé » in Latin-1: not UTF-8
                case 2: bytes.append(0)
                case 3: bytes += Array(";\"never closed".utf8)
                case 4: bytes.append(0x0D)
                default: break
                }
            }
            bytes += endings.randomElement(using: &random)!
        }
        if Bool.random(using: &random) { bytes.removeLast() }
        return bytes
    }

    @Test(arguments: 0..<5)
    func blocksReadWhatOneRecordAtATimeReads(spoil: Int) {
        var blocksUsed = 0
        for seed in UInt64(1)...40 {
            let bytes = Self.file(seed: seed &* 7 &+ UInt64(spoil), rows: 60, spoil: spoil)
            // Read as found, pinned to UTF-8 (Latin-1 bytes are an error), pinned to Latin-1 (UTF-8 text is one).
            let encoding: [TextEncoding] = [.auto, .utf8, .latin1]
            let options = CSVOptions(delimiter: UInt8(ascii: ";"), encoding: encoding[Int(seed % 3)])
            let expected = Self.serially(bytes, options)
            for parts in [1, 2, 3] {
                for blockSize in [8, 40, 97, 300, 1 << 20] {
                    let (read, blocks) = Self.inBlocks(bytes, options, parts: parts, blockSize: blockSize)
                    #expect(
                        read == expected, "seed \(seed), spoil \(spoil), \(parts) parts, blocks of \(blockSize) bytes")
                    blocksUsed += blocks
                }
            }
        }
        // Most blocks of these files hold a quoted line break somewhere: many are read again one record at a
        // time, but not all.
        #expect(blocksUsed > 100)
    }

    @Test func plainLinesAreReadInBlocks() {
        var bytes = Array("a;b;c\r\n".utf8)
        for row in 0..<1000 { bytes += Array("\(row);x;y\r\n".utf8) }
        let options = CSVOptions(delimiter: UInt8(ascii: ";"))
        let (read, blocks) = Self.inBlocks(bytes, options, parts: 2, blockSize: 1000)
        #expect(read == Self.serially(bytes, options))
        #expect(read.records.count == 1000)
        #expect(read.records.last?.line == 1001)
        // 8,897 bytes in blocks of at most 1,000 bytes of whole lines.
        #expect(blocks >= 9)
    }

    @Test func loneCRFileIsReadOneRecordAtATime() {
        var bytes = Array("a;b\r".utf8)
        for row in 0..<5000 { bytes += Array("\(row);x\r".utf8) }
        let options = CSVOptions(delimiter: UInt8(ascii: ";"))
        let (read, blocks) = Self.inBlocks(bytes, options, parts: 2, blockSize: 256)
        #expect(read == Self.serially(bytes, options))
        #expect(read.records.count == 5000)
        // Only the end of the file, where no line feed is needed to end a block.
        #expect(blocks <= 1)
    }

    @Test func latin1FileIsReadInBlocks() {
        var bytes = Array("a;b\n".utf8)
        for row in 0..<500 { bytes += Array("\(row);".utf8) + [0x63, 0xE9] + [0x0A] }
        let options = CSVOptions(delimiter: UInt8(ascii: ";"), encoding: .latin1)
        let (read, blocks) = Self.inBlocks(bytes, options, parts: 3, blockSize: 512)
        #expect(read == Self.serially(bytes, options))
        #expect(read.records.first?.fields == ["0", "cé"])
        #expect(blocks > 1)
    }
}
