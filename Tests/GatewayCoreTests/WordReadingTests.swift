import Foundation
import Testing

@testable import GatewayCore

/// Identifiers and dates read or written eight bytes at a time must agree, byte for byte, with the plain reading.
@Suite struct WordReadingTests {
    /// A small deterministic generator: the same cases at every run.
    @Test func digitWordsAgreeWithByteChecks() {
        var random = SplitMix64(state: 1)
        // Every byte value at every position, in words otherwise of digits, and random words.
        var words: [[UInt8]] = []
        for position in 0..<8 {
            for byte in 0...255 {
                var bytes = Array("31415926".utf8)
                bytes[position] = UInt8(byte)
                words.append(bytes)
            }
        }
        for _ in 0..<20_000 {
            words.append(
                (0..<8).map { _ in random.below(4) == 0 ? UInt8(random.below(256)) : UInt8(0x30 + random.below(10)) })
        }
        for bytes in words {
            bytes.withUnsafeBufferPointer { buffer in
                let word = RawText.word(buffer, at: 0)
                let digits = bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                #expect(RawText.areDigits(word) == digits, "\(bytes)")
                if digits {
                    #expect(RawText.digitsValue(word) == UInt64(String(decoding: bytes, as: UTF8.self)))
                }
            }
        }
    }

    @Test func inlineCharactersAgreeWithTheirBytes() {
        var random = SplitMix64(state: 2)
        for count in 0...20 {
            for _ in 0..<50 {
                let bytes = (0..<count).map { _ in UInt8(0x21 + random.below(94)) }
                let characters = bytes.withUnsafeBufferPointer { InlineASCII($0) }
                let kept = min(count, InlineASCII.capacity)
                #expect(Int(characters.count) == kept)
                #expect(characters.string == String(decoding: bytes.prefix(kept), as: UTF8.self))
                for index in 0..<kept { #expect(characters[index] == bytes[index]) }
                // The words a byte-by-byte reading gives: equal characters, equal values.
                var low: UInt64 = 0
                var high: UInt64 = 0
                for index in 0..<kept {
                    if index < 8 {
                        low |= UInt64(bytes[index]) << UInt64(8 * index)
                    } else {
                        high |= UInt64(bytes[index]) << UInt64(8 * (index - 8))
                    }
                }
                #expect(InlineASCII(low: low, high: high, count: kept) == characters)
            }
        }
    }

    @Test func isoCharactersAreTheISODate() throws {
        var random = SplitMix64(state: 3)
        var dates = [LocalDate(year: 1, month: 1, day: 1), LocalDate(year: 9999, month: 12, day: 31)].compactMap { $0 }
        for _ in 0..<2_000 {
            if let date = LocalDate(
                year: 1 + random.below(9999), month: 1 + random.below(12), day: 1 + random.below(28))
            {
                dates.append(date)
            }
        }
        for date in dates {
            let expected =
                String(repeating: "0", count: 4 - String(date.year).count) + String(date.year) + "-"
                + (date.month < 10 ? "0" : "") + String(date.month) + "-" + (date.day < 10 ? "0" : "")
                + String(date.day)
            #expect(date.iso == expected)
            #expect(date.isoCharacters.string == expected)
        }
    }

    /// Dates read by words against the same patterns read byte by byte: every byte value at every position of a
    /// valid date, and random dates (some impossible: 31 April, 29 February of a common year, month 13).
    @Test func datesReadByWordsAgreeWithTheBytes() {
        func reference(_ bytes: [UInt8], _ pattern: LocalDate.Pattern) -> LocalDate? {
            func number(_ range: Range<Int>) -> Int? {
                guard range.upperBound <= bytes.count else { return nil }
                var value = 0
                for index in range {
                    guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                    value = value * 10 + Int(bytes[index] - 48)
                }
                return value
            }
            func separator(_ index: Int, _ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }
            switch pattern {
            case .iso:
                guard bytes.count == 10 || (bytes.count > 10 && (bytes[10] == 84 || bytes[10] == 32)),
                    separator(4, 45), separator(7, 45), let year = number(0..<4), let month = number(5..<7),
                    let day = number(8..<10)
                else { return nil }
                return LocalDate(year: year, month: month, day: day)
            case .french, .frenchDashes:
                let byte: UInt8 = pattern == .french ? 47 : 45
                guard bytes.count == 10, separator(2, byte), separator(5, byte), let day = number(0..<2),
                    let month = number(3..<5), let year = number(6..<10)
                else { return nil }
                return LocalDate(year: year, month: month, day: day)
            case .compact:
                guard bytes.count == 8, let year = number(0..<4), let month = number(4..<6), let day = number(6..<8)
                else { return nil }
                return LocalDate(year: year, month: month, day: day)
            }
        }
        var random = SplitMix64(state: 5)
        let shapes: [(LocalDate.Pattern, String)] = [
            (.iso, "2026-09-14"), (.iso, "2024-02-29T08:00:00+01:00"), (.iso, "2024-02-29 08:00"),
            (.french, "14/09/2026"), (.frenchDashes, "14-09-2026"), (.compact, "20260914"),
        ]
        var cases: [(LocalDate.Pattern, [UInt8])] = []
        for (pattern, text) in shapes {
            let valid = Array(text.utf8)
            for position in 0..<min(valid.count, 11) {
                for byte in 0...255 {
                    var bytes = valid
                    bytes[position] = UInt8(byte)
                    cases.append((pattern, bytes))
                }
            }
            cases.append((pattern, Array(valid.dropLast())))
            cases.append((pattern, valid + [0x30]))
            for pattern in LocalDate.Pattern.allCases { cases.append((pattern, valid)) }
        }
        for _ in 0..<20_000 {
            let year = random.below(3000)
            let month = random.below(14)
            let day = random.below(33)
            func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let yyyy = String(repeating: "0", count: 4 - String(year).count) + String(year)
            cases.append((.iso, Array("\(yyyy)-\(two(month))-\(two(day))".utf8)))
            cases.append((.french, Array("\(two(day))/\(two(month))/\(yyyy)".utf8)))
            cases.append((.compact, Array("\(yyyy)\(two(month))\(two(day))".utf8)))
        }
        var dates = 0
        for (pattern, bytes) in cases {
            let expected = reference(bytes, pattern)
            let parsed = bytes.withUnsafeBufferPointer { LocalDate.parse(bytes: $0, pattern: pattern) }
            #expect(parsed == expected, "\(pattern) \(String(decoding: bytes, as: UTF8.self))")
            if expected != nil { dates += 1 }
        }
        // Both outcomes were tried, plenty of each.
        #expect(dates > 10_000)
        #expect(cases.count - dates > 10_000)
    }

    /// NIRs of plain digits (read by words) against the rules worked out digit by digit.
    @Test func plainNIRsAgreeWithTheRules() {
        var random = SplitMix64(state: 4)
        for _ in 0..<20_000 {
            let length = random.below(2) == 0 ? 13 : 15
            var digits = (0..<length).map { _ in 0x30 + UInt8(random.below(10)) }
            // Mostly plausible numbers, so that the key is what decides.
            if random.below(4) != 0 {
                digits[0] = 0x30 + [1, 2, 3, 4, 7, 8][random.below(6)]
                digits[3] = 0x30 + UInt8(random.below(2))
                digits[4] = 0x31 + UInt8(random.below(9))
            }
            var base: UInt64 = 0
            for digit in digits.prefix(13) { base = base * 10 + UInt64(digit - 0x30) }
            let key = 97 - Int(base % 97)
            if length == 15 && random.below(2) == 0 {
                digits[13] = 0x30 + UInt8(key / 10)
                digits[14] = 0x30 + UInt8(key % 10)
            }
            let sex = Int(digits[0] - 0x30)
            let month = Int(digits[3] - 0x30) * 10 + Int(digits[4] - 0x30)
            let given = length == 15 ? Int(digits[13] - 0x30) * 10 + Int(digits[14] - 0x30) : nil
            let valid =
                [1, 2, 3, 4, 7, 8].contains(sex)
                && (!(sex == 1 || sex == 2) || (1...12).contains(month) || (20...42).contains(month)
                    || (50...99).contains(month))
                && (given == nil || given == key)
            let text = String(decoding: digits, as: UTF8.self)
            let nir = digits.withUnsafeBufferPointer { NIR(validUTF8: $0) }
            #expect((nir != nil) == valid, "\(Masking.nir(text))")
            if let nir {
                #expect(nir.computedKey == key)
                #expect(nir.canonical == text)
            }
        }
    }

    /// France Travail identifiers (7 digits, a digit or a letter, then 3 digits or nothing) against the same rule
    /// checked character by character.
    @Test func franceTravailIDsAgreeWithTheRule() {
        var random = SplitMix64(state: 5)
        let alphabet = Array("0123456789ABCZaz-/ ".utf8)
        for _ in 0..<20_000 {
            let length = [8, 11][random.below(2)]
            var bytes = (0..<length).map { _ in 0x30 + UInt8(random.below(10)) }
            if random.below(3) == 0 { bytes[7] = 0x41 + UInt8(random.below(26)) }
            if random.below(3) == 0 { bytes[random.below(length)] = alphabet[random.below(alphabet.count)] }
            if random.below(20) == 0 { for index in 0..<7 { bytes[index] = 0x30 } }
            func digit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
            let expected =
                bytes.prefix(7).allSatisfy(digit) && (digit(bytes[7]) || (bytes[7] >= 0x41 && bytes[7] <= 0x5A))
                && bytes.dropFirst(8).allSatisfy(digit) && bytes.prefix(7).contains { $0 != 0x30 }
            let text = String(decoding: bytes, as: UTF8.self)
            // Lower case letters and surrounding spaces are normalised first, as the type's documentation says.
            let normalised = text.trimmingCharacters(in: .whitespaces).uppercased()
            let accepted = bytes.withUnsafeBufferPointer { FranceTravailID(validUTF8: $0) }
            if normalised == text {
                #expect((accepted != nil) == expected, "\(text)")
                #expect(accepted.map(\.canonical) == (expected ? text : nil))
            }
        }
    }
}
