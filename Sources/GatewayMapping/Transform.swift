import GatewayCore

/// A text transform applied to a raw value before it is converted to its canonical kind.
///
/// Each transform is defined here once, in two forms side by side: on bytes (`kept(_:_:singleByte:)`), the part of a
/// value it keeps when it leaves the value as it is or only cuts it, and on text (`apply(to:)`), what it makes of any
/// value. The text form starts with the byte form, so the mapping engine and the CSV row screen (`GatewayScreen`)
/// both go through the byte form; only a value the byte form cannot vouch for goes through Unicode.
public enum Transform: String, Sendable, Codable, CaseIterable {
    case trim, upper, lower
    /// Runs of white space become one space.
    case collapseSpaces = "collapse-spaces"
    /// Keeps only the digits.
    case digitsOnly = "digits-only"
    case stripLeadingZeros = "strip-leading-zeros"
}

extension Transform {
    /// The transform applied to `value`.
    public func apply(to value: String) -> String {
        // Every transform leaves an empty value empty.
        guard !value.isEmpty else { return value }
        var value = value
        // The byte form first: a value it keeps as it is, or only cuts, needs no Unicode.
        let cut = value.withUTF8 { bytes in self.kept(bytes, 0..<bytes.count, singleByte: false) }
        if let cut {
            if cut == 0..<value.utf8.count { return value }
            return value.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[cut]), as: UTF8.self) }
        }
        switch self {
        case .trim:
            // Most values start and end with an ASCII letter or digit, or with an accented letter the byte form does
            // not vouch for in UTF-8: anything else, no-break spaces included, goes through Unicode's white space.
            if !Self.mayHaveEdgeSpace(value) { return value }
            return String(value.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        case .upper: return value.uppercased()
        case .lower: return value.lowercased()
        case .collapseSpaces:
            return Self.needsCollapsing(value)
                ? value.split(whereSeparator: \.isWhitespace).joined(separator: " ") : value
        case .digitsOnly: return String(decoding: value.utf8.filter { $0 >= 48 && $0 <= 57 }, as: UTF8.self)
        case .stripLeadingZeros:
            let stripped = value.drop { $0 == "0" }
            return stripped.isEmpty ? "0" : String(stripped)
        }
    }

    /// The part of `bytes[range]` (a value in UTF-8, or in a single-byte encoding when `singleByte`) the transform
    /// keeps, when it leaves the value as it is or only cuts it; nil when it would change its text (`apply(to:)`
    /// then gives what it makes of it). An empty range stays empty.
    @inlinable @inline(__always)
    public func kept(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, singleByte: Bool) -> Range<Int>? {
        var start = range.lowerBound
        var end = range.upperBound
        if start == end { return range }
        switch self {
        case .trim:
            while start < end && bytes[start] == 0x20 { start += 1 }
            while end > start && bytes[end - 1] == 0x20 { end -= 1 }
            if start == end { return start..<end }
            // The edges must certainly not be white space: printable ASCII, or a Latin-1 letter (U+00C0…).
            guard Self.isPlainEdge(bytes[start], singleByte), Self.isPlainEdge(bytes[end - 1], singleByte) else {
                return nil
            }
        case .upper:
            guard let base = bytes.baseAddress else { break }
            // Eight bytes at a time, the last ones in a word of their own (its other bytes zero).
            var index = start
            while index < end {
                let (word, count) = ByteWord.next(base, from: index, to: end)
                if word & ByteWord.highs != 0 || ByteWord.between(word, 0x61, 0x7A) != 0 { return nil }
                index += count
            }
        case .lower:
            for index in start..<end where bytes[index] >= 0x80 || (bytes[index] >= 0x41 && bytes[index] <= 0x5A) {
                return nil
            }
        case .collapseSpaces:
            // What `needsCollapsing` finds, and more: control bytes, doubled or edge spaces, and the lead bytes of
            // Unicode spaces (Latin-1 0x80…0xBF are U+0080…U+00BF: lead C2).
            guard let base = bytes.baseAddress else { break }
            var previous: UInt8 = 0x20
            var index = start
            // Eight bytes at a time, the last ones in a word of their own (its other bytes zero: only the test for
            // control bytes sees them, and its result is cut to the bytes of the value).
            while index < end {
                let (word, count) = ByteWord.next(base, from: index, to: end)
                let spaces = ByteWord.equal(word, 0x20)
                var odd = ByteWord.below(word, 0x20) | ByteWord.equal(word, 0x7F)
                odd |= spaces & (spaces << 8 | (previous == 0x20 ? 0x80 : 0))
                if singleByte {
                    odd |= word & ~(word << 1) & ByteWord.highs  // 0x80…0xBF
                } else {
                    let leads = Self.unicodeSpaceLeads
                    odd |= ByteWord.equal(word, leads.0) | ByteWord.equal(word, leads.1) | ByteWord.equal(word, leads.2)
                }
                if odd & ByteWord.lanes(count) != 0 { return nil }
                previous = UInt8(truncatingIfNeeded: word >> UInt64(8 * (count - 1)))
                index += count
            }
            if previous == 0x20 { return nil }
        case .digitsOnly:
            for index in start..<end where bytes[index] < 0x30 || bytes[index] > 0x39 { return nil }
        case .stripLeadingZeros:
            while end - start > 1 && bytes[start] == 0x30 { start += 1 }
            // In UTF-8 a byte from 0x80 on may start a combining mark, which makes one character of the zero before
            // it: the text form keeps that zero.
            if !singleByte && start > range.lowerBound && bytes[start] >= 0x80 { return nil }
        }
        return start..<end
    }

    /// The UTF-8 lead bytes of the Unicode spaces (U+0085, U+00A0; U+2000…; U+3000).
    @inlinable static var unicodeSpaceLeads: (UInt8, UInt8, UInt8) { (0xC2, 0xE2, 0xE3) }

    @inlinable @inline(__always)
    static func isPlainEdge(_ byte: UInt8, _ singleByte: Bool) -> Bool {
        (byte > 0x20 && byte < 0x7F) || (singleByte && byte >= 0xC0)
    }

    /// False when `value` certainly neither starts nor ends with white space: its first and last characters
    /// start with an ASCII letter, digit or sign, or with a scalar U+00C0…U+00FF (`É`, `é`: UTF-8 C3 xx),
    /// none of which is white space or extends a preceding character.
    static func mayHaveEdgeSpace(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, let last = utf8.last else { return true }
        guard (first > 0x20 && first < 0x80) || first == 0xC3 else { return true }
        if last > 0x20 && last < 0x80 { return false }
        guard last >= 0x80 && last < 0xC0, utf8.count >= 2 else { return true }
        return utf8[utf8.index(utf8.endIndex, offsetBy: -2)] != 0xC3
    }

    /// Whether white space in `value` is other than single ASCII spaces between words.
    static func needsCollapsing(_ value: String) -> Bool {
        var previous: UInt8 = 0x20
        for byte in value.utf8 {
            switch byte {
            // Control spaces, and the lead bytes of Unicode spaces.
            case 0x09...0x0D, unicodeSpaceLeads.0, unicodeSpaceLeads.1, unicodeSpaceLeads.2: return true
            case 0x20 where previous == 0x20: return true
            default: previous = byte
            }
        }
        return previous == 0x20
    }
}
