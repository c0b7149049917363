import GatewayMapping
import Testing

@testable import GatewayScreen

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
