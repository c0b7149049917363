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

    @Test func lanesAreTheHighBitsOfTheFirstBytes() {
        for count in 1...8 {
            var expected: UInt64 = 0
            for lane in 0..<count { expected |= 0x80 << (8 * UInt64(lane)) }
            #expect(Bytes.lanes(count) == expected)
        }
    }
}
