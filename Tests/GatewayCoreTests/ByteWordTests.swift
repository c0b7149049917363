import Testing

@testable import GatewayCore

/// The word reads (`ByteWord`) of the row screen and the transforms must give exactly the bytes they stand for.
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
                        #expect(
                            ByteWord.partial(base, from: index, to: end) == expected, "\(cellLength) \(index) \(end)")
                    }
                }
            }
        }
    }

    @Test func asciiCellsAreFoundEightBytesAtATime() {
        for length in 0...20 {
            let plain = [UInt8](repeating: 0x7F, count: length)
            #expect(plain.withUnsafeBufferPointer { ByteWord.areASCII($0) })
            for position in 0..<length {
                var bytes = plain
                bytes[position] = 0x80
                #expect(!bytes.withUnsafeBufferPointer { ByteWord.areASCII($0) }, "\(length) \(position)")
            }
        }
    }

    @Test func lanesAreTheHighBitsOfTheFirstBytes() {
        for count in 1...8 {
            var expected: UInt64 = 0
            for lane in 0..<count { expected |= 0x80 << (8 * UInt64(lane)) }
            #expect(ByteWord.lanes(count) == expected)
        }
    }
}
