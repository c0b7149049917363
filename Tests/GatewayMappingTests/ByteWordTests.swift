import Testing

@testable import GatewayMapping

/// The row screen's word reads (`Bytes`) must give exactly the bytes they stand for.
@Suite struct ByteWordTests {
    /// The last bytes of a cell in one word: every length below eight, at every place in cells of every length.
    @Test func partialWordsHoldExactlyTheirBytes() {
        var state: UInt64 = 7
        for cellLength in 1...24 {
            let cell = (0..<cellLength).map { _ -> UInt8 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 33) | 1  // never zero: a zero byte would hide a lane
            }
            cell.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                for end in 1...cellLength {
                    for index in max(0, end - 7)..<end {
                        var expected: UInt64 = 0
                        for (lane, byte) in cell[index..<end].enumerated() { expected |= UInt64(byte) << (8 * lane) }
                        #expect(Bytes.partial(base, from: index, to: end) == expected, "\(cellLength) \(index) \(end)")
                    }
                }
            }
        }
    }

    @Test func asciiCellsAreFoundEightBytesAtATime() {
        for length in 0...20 {
            let plain = [UInt8](repeating: 0x7F, count: length)
            #expect(plain.withUnsafeBufferPointer { Bytes.areASCII($0) })
            for position in 0..<length {
                var bytes = plain
                bytes[position] = 0x80
                #expect(!bytes.withUnsafeBufferPointer { Bytes.areASCII($0) }, "\(length) \(position)")
            }
        }
    }

    @Test func lanesAreTheHighBitsOfTheFirstBytes() {
        for count in 1...8 {
            var expected: UInt64 = 0
            for lane in 0..<count { expected |= 0x80 << (8 * UInt64(lane)) }
            #expect(Bytes.lanes(count) == expected)
        }
    }
}

/// The allowed values the row screen's converters test cells against (`ValueConverter.AllowedValues`): several
/// fields' lists in one, each found exactly as `Array.contains` finds it.
@Suite struct AllowedValuesTests {
    @Test func listsAnswerAsArraysDo() throws {
        var table = ValueConverter.AllowedValues()
        let lists = [
            ["1", "2", "3", "4", "5", "6", "7", "8"], ["INS", "CES", "RAD", "STK"], ["", "0", "00"],
            ["ABCDEFGH", "ABCDEFG", "A"],
        ]
        var ranges: [Range<Int32>] = []
        for list in lists {
            let range = table.add(list)
            ranges.append(try #require(range))
        }
        let probes = Set(lists.flatMap { $0 } + ["9", "10", "ins", "ABCDEFGHI", "ABCDEF", "B", "000", " 1", "1 "])
        for (list, range) in zip(lists, ranges) {
            #expect(range.count == list.count)
            table.entries.withUnsafeBufferPointer { entries in
                let own = UnsafeBufferPointer(rebasing: entries[Int(range.lowerBound)..<Int(range.upperBound)])
                for probe in probes {
                    let found = Array(probe.utf8).withUnsafeBufferPointer {
                        ValueConverter.AllowedValues.contains($0, own)
                    }
                    #expect(found == list.contains(probe), "\(probe) in \(list)")
                }
            }
        }
        // Values longer than eight bytes, or more than 64 values, are left to the text path.
        let long = table.add(["ABCDEFGHI"])
        let many = table.add((0...64).map(String.init))
        let most = table.add((0..<64).map(String.init))
        #expect(long == nil)
        #expect(many == nil)
        #expect(most != nil)
    }
}
