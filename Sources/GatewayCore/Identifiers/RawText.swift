/// Byte-level helpers shared by the identifiers: they run once per identifier of every record,
/// so they work on UTF-8 bytes, in a stack buffer, without Foundation.
enum RawText {
    /// ASCII `?`, the placeholder stored for any non-ASCII character: no identifier accepts it.
    static let placeholder: UInt8 = 0x3F

    /// Calls `body` with the significant characters of `raw`, upper-cased, and their full count.
    ///
    /// Surrounding whitespace (space, tab, CR, LF, no-break spaces) is trimmed; with
    /// `stripSeparators`, inner whitespace and dots are dropped too. A non-ASCII character counts
    /// as one character and is replaced by `placeholder`. At most `capacity` characters are kept;
    /// `count` tells how many there were, so a caller can report a length error.
    static func withNormalised<R>(
        _ raw: String, capacity: Int, stripSeparators: Bool,
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int) -> R
    ) -> R {
        var text = raw
        return text.withUTF8 { withNormalised(utf8: $0, capacity: capacity, stripSeparators: stripSeparators, body) }
    }

    /// `parse` on the normalised characters of `raw` (no separator stripped), for the identifiers held inline.
    static func parsed(
        _ raw: String, capacity: Int,
        _ parse: (_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int, _ raw: () -> String) -> Result<
            InlineASCII, IdentifierError
        >
    ) throws(IdentifierError) -> InlineASCII {
        try withNormalised(raw, capacity: capacity, stripSeparators: false) { parse($0, $1, { raw }) }.get()
    }

    /// The same on UTF-8 bytes; nil when refused.
    static func parsed(
        utf8: UnsafeBufferPointer<UInt8>, capacity: Int,
        _ parse: (_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int, _ raw: () -> String) -> Result<
            InlineASCII, IdentifierError
        >
    ) -> InlineASCII? {
        let result = withNormalised(utf8: utf8, capacity: capacity, stripSeparators: false) {
            parse($0, $1, { String(decoding: utf8, as: UTF8.self) })
        }
        return try? result.get()
    }

    /// `withNormalised` on UTF-8 bytes.
    static func withNormalised<R>(
        utf8 input: UnsafeBufferPointer<UInt8>, capacity: Int, stripSeparators: Bool,
        _ body: (_ bytes: UnsafeBufferPointer<UInt8>, _ count: Int) -> R
    ) -> R {
        // Already normalised (printable ASCII, no lower case, no separator to drop): the bytes as they are.
        if input.count <= capacity
            && !input.contains(where: {
                $0 <= 0x20 || $0 >= 0x7F || ($0 >= 0x61 && $0 <= 0x7A) || (stripSeparators && $0 == 0x2E)
            })
        {
            return body(input, input.count)
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { output in
            var low = 0
            var high = input.count
            while low < high {
                let width = leadingSpaceWidth(input, at: low, end: high)
                if width == 0 { break }
                low += width
            }
            while high > low {
                let width = trailingSpaceWidth(input, start: low, end: high)
                if width == 0 { break }
                high -= width
            }
            var count = 0
            var index = low
            while index < high {
                let byte = input[index]
                if stripSeparators {
                    if byte == 0x2E {
                        index += 1
                        continue
                    }
                    let width = leadingSpaceWidth(input, at: index, end: high)
                    if width > 0 {
                        index += width
                        continue
                    }
                }
                index += 1
                let character: UInt8
                if byte < 0x80 {
                    character = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                } else if byte & 0xC0 == 0x80 {
                    continue  // continuation byte of a character already counted
                } else {
                    character = placeholder
                }
                if count < capacity { output[count] = character }
                count += 1
            }
            return body(UnsafeBufferPointer(rebasing: output[0..<min(count, capacity)]), count)
        }
    }

    /// Width in bytes of the whitespace starting at `index` (0 when none).
    @inline(__always)
    static func leadingSpaceWidth(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Int {
        switch bytes[index] {
        case 0x20, 0x09, 0x0A, 0x0D: return 1
        case 0xC2 where index + 1 < end && bytes[index + 1] == 0xA0: return 2  // U+00A0
        case 0xE2 where index + 2 < end && bytes[index + 1] == 0x80 && bytes[index + 2] == 0xAF:
            return 3  // U+202F
        default: return 0
        }
    }

    /// Width in bytes of the whitespace ending just before `end` (0 when none).
    @inline(__always)
    static func trailingSpaceWidth(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int {
        switch bytes[end - 1] {
        case 0x20, 0x09, 0x0A, 0x0D: return 1
        case 0xA0 where end - 2 >= start && bytes[end - 2] == 0xC2: return 2
        case 0xAF where end - 3 >= start && bytes[end - 3] == 0xE2 && bytes[end - 2] == 0x80: return 3
        default: return 0
        }
    }

    /// Whether `byte` is an ASCII digit.
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Whether `byte` is an upper-case ASCII letter.
    @inline(__always)
    static func isUpperLetter(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }

    /// The text of `bytes[range]` (ASCII), without a heap allocation up to 15 bytes (small string).
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The eight bytes of `bytes` from `offset` as one word, the first in the lowest byte (`offset + 8` at most
    /// `bytes.count`).
    @inline(__always)
    static func word(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= bytes.count)
        return UInt64(
            littleEndian: UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Whether the eight bytes of `word` are ASCII digits.
    @inline(__always)
    static func areDigits(_ word: UInt64) -> Bool {
        // High nibbles 3, and adding 6 carries no digit out of its nibble.
        let highNibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        return word & highNibbles == 0x3030_3030_3030_3030
            && (word &+ 0x0606_0606_0606_0606) & highNibbles == 0x3030_3030_3030_3030
    }

    /// The number eight ASCII digits write (`areDigits`), the first the most significant.
    @inline(__always)
    static func digitsValue(_ word: UInt64) -> UInt64 {
        var value = word &- 0x3030_3030_3030_3030
        value = (value &* 10 &+ value >> 8) & 0x00FF_00FF_00FF_00FF
        value = (value &* 100 &+ value >> 16) & 0x0000_FFFF_0000_FFFF
        return (value &* 10_000 &+ value >> 32) & 0xFFFF_FFFF
    }

    /// The position of the first byte of `bytes` (1-based, as a partner counts) failing `accepts`, if any.
    @inline(__always)
    static func firstRefused(
        _ bytes: UnsafeBufferPointer<UInt8>, _ accepts: (_ byte: UInt8, _ index: Int) -> Bool
    ) -> Int? {
        for index in 0..<bytes.count where !accepts(bytes[index], index) { return index + 1 }
        return nil
    }

    /// The trimmed, upper-cased text of `raw` for an error about a non-personal code, truncated to
    /// 40 characters so a shifted column cannot flood a report. A value shaped like a NIR (13 or 15
    /// characters, see `Masking.looksLikeNIR`) is masked instead: a shifted column must not leak one.
    static func plain(_ raw: String) -> String {
        if Masking.looksLikeNIR(raw, lengths: 13...13) || Masking.looksLikeNIR(raw, lengths: 15...15) {
            return Masking.nir(raw)
        }
        return withNormalised(raw, capacity: 40, stripSeparators: false) { bytes, count in
            string(bytes, 0..<bytes.count) + (count > bytes.count ? "…" : "")
        }
    }

    /// "1 caractère reçu" / "N caractères reçus".
    static func received(_ count: Int) -> String {
        count == 1 ? "1 caractère reçu" : "\(count) caractères reçus"
    }
}
