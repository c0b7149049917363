import GatewayCore

/// The character encoding of a partner's text file.
public enum TextEncoding: String, Sendable, Codable, CaseIterable {
    /// Strict UTF-8, falling back to Windows-1252 at the first record that is not valid UTF-8.
    case auto
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    case latin1 = "iso-8859-1"

    /// Reads the usual spellings of an encoding label (`UTF8`, `cp1252`, `latin-1`, `ISO_8859-1` …).
    public init?(label: String) {
        let key = String(label.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " })
        switch key {
        case "auto": self = .auto
        case "utf8": self = .utf8
        case "windows1252", "cp1252", "win1252": self = .windows1252
        case "iso88591", "latin1", "l1": self = .latin1
        default: return nil
        }
    }

    /// The name shown in French messages (`UTF-8`, `Windows-1252`, `ISO-8859-1`).
    public var displayName: String {
        switch self {
        case .auto: "automatique"
        case .utf8: "UTF-8"
        case .windows1252: "Windows-1252"
        case .latin1: "ISO-8859-1"
        }
    }
}

/// Fast decoding of byte slices to `String`, and encoding back, for the CSV and JSON readers and writers.
///
/// Windows-1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): they decode to U+FFFD (the
/// replacement character) rather than failing, since a partner's export that contains one is still worth
/// reading and the replacement shows in the stored value. When encoding, characters that Windows-1252 or
/// Latin-1 cannot represent become `?`.
public enum TextDecoding {
    /// Code points of Windows-1252 bytes 0x80–0x9F; U+FFFD for the five undefined bytes.
    static let windows1252High: [UInt16] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// Whether `bytes` look like UTF-16 without its byte order mark: ASCII text with a NUL beside every character
    /// (at least a third of the bytes NUL, all at even offsets or all at odd ones).
    public static func looksLikeUTF16WithoutMark(_ bytes: some Collection<UInt8>) -> Bool {
        guard bytes.count >= 8 else { return false }
        var zeros = 0
        var even = 0
        for (offset, byte) in bytes.enumerated() where byte == 0 {
            zeros += 1
            if offset % 2 == 0 { even += 1 }
        }
        return zeros * 3 >= bytes.count && (even == 0 || even == zeros)
    }

    /// What the bytes 0x80–0x9F of a single-byte text say of it.
    public enum HighControls: Equatable {
        /// None: Latin-1 and Windows-1252 read the text alike.
        case none
        /// Some, all defined in Windows-1252 (`€`, `’`, `Œ`…): C1 controls in Latin-1, which no partner writes.
        case windows1252
        /// One of the five bytes Windows-1252 leaves undefined, at `offset`.
        case undefined(UInt8, offset: Int)
    }

    /// Looks for bytes 0x80–0x9F from `start` on.
    public static func highControls(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> HighControls {
        var found = HighControls.none
        var index = start
        // Eight bytes at a time while none is in 0x80–0x9F (its top three bits 100): French text in Latin-1 has
        // accents (0xC0–0xFF), almost never these.
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                // A byte whose top three bits are 100.
                if ByteWord.firstEqual(word & ByteWord.repeated(0xE0), ByteWord.highs) != 0 { break }
                index += 8
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80 && byte <= 0x9F {
                if windows1252High[Int(byte) - 0x80] == 0xFFFD { return .undefined(byte, offset: index) }
                found = .windows1252
            }
            index += 1
        }
        return found
    }

    /// True when every byte is below 0x80; checks eight bytes at a time.
    public static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { asciiPrefix(bytes) == bytes.count }

    /// How many bytes at the start of `bytes` are ASCII (all of them when it is ASCII).
    public static func asciiPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index + 8 <= count {
            let high = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & ByteWord.highs
            if high != 0 { return index + high.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < count {
            if base[index] >= 0x80 { return index }
            index += 1
        }
        return count
    }

    /// Strict UTF-8: nil when the bytes are not valid UTF-8 (no repair).
    public static func utf8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        // `String(validating:as:)` is generic and, unspecialised, costs more than the copy; validate here instead.
        isValidUTF8(bytes) ? string(validUTF8: bytes) : nil
    }

    /// A string from bytes already known to be valid UTF-8, without the standard library validating them again.
    @inline(__always)
    static func string(validUTF8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        // `String(decoding:as:)` validates again, byte by byte once past ASCII: three times slower on French text.
        if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
            return String(copying: UTF8Span(unchecked: bytes.span))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True for well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF).
    public static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { isValidUTF8(bytes, from: 0) }

    /// `isValidUTF8` of bytes whose first `start` are already known to be ASCII.
    public static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        let raw = UnsafeRawPointer(base)
        var index = start
        while index < count {
            if index + 8 <= count,
                raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & ByteWord.highs == 0
            {
                index += 8
                continue
            }
            let lead = base[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            func continuation(_ offset: Int) -> Bool {
                index + offset < count && base[index + offset] & 0xC0 == 0x80
            }
            switch lead {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                index += 2
            case 0xE0...0xEF:
                guard continuation(1), continuation(2) else { return false }
                let second = base[index + 1]
                if lead == 0xE0 && second < 0xA0 { return false }
                if lead == 0xED && second > 0x9F { return false }
                index += 3
            case 0xF0...0xF4:
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let second = base[index + 1]
                if lead == 0xF0 && second < 0x90 { return false }
                if lead == 0xF4 && second > 0x8F { return false }
                index += 4
            default:
                return false
            }
        }
        return true
    }

    /// Windows-1252, undefined bytes becoming U+FFFD.
    public static func windows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if isASCII(bytes) { return string(validUTF8: bytes) }
        return transcodeSingleByte(bytes, highTable: true)
    }

    /// ISO-8859-1: each byte is the code point of the same value.
    public static func latin1(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if isASCII(bytes) { return string(validUTF8: bytes) }
        return transcodeSingleByte(bytes, highTable: false)
    }

    /// Decodes with a single-byte or UTF-8 encoding; nil only for invalid UTF-8 (`.auto` behaves as `.utf8`).
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, as encoding: TextEncoding) -> String? {
        switch encoding {
        case .auto, .utf8: utf8(bytes)
        case .windows1252: windows1252(bytes)
        case .latin1: latin1(bytes)
        }
    }

    private static func transcodeSingleByte(_ bytes: UnsafeBufferPointer<UInt8>, highTable: Bool) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 3) { output in
            var written = 0
            for byte in bytes {
                if byte < 0x80 {
                    output[written] = byte
                    written += 1
                    continue
                }
                let scalar =
                    highTable && byte < 0xA0 ? UInt32(windows1252High[Int(byte) - 0x80]) : UInt32(byte)
                if scalar < 0x800 {
                    output[written] = UInt8(0xC0 | (scalar >> 6))
                    output[written + 1] = UInt8(0x80 | (scalar & 0x3F))
                    written += 2
                } else {
                    output[written] = UInt8(0xE0 | (scalar >> 12))
                    output[written + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                    output[written + 2] = UInt8(0x80 | (scalar & 0x3F))
                    written += 3
                }
            }
            return written
        }
    }

    /// Appends `text` encoded as `encoding` (`.auto` writes UTF-8); unrepresentable characters become `?`.
    public static func append(_ text: String, as encoding: TextEncoding, to output: inout [UInt8]) {
        switch encoding {
        case .auto, .utf8:
            output.append(contentsOf: text.utf8)
        case .windows1252, .latin1:
            let isWindows = encoding == .windows1252
            for scalar in text.unicodeScalars {
                let value = scalar.value
                if value < 0x80 || (value <= 0xFF && (value >= 0xA0 || !isWindows)) {
                    output.append(UInt8(value))
                } else if isWindows, let byte = windows1252Byte(for: value) {
                    output.append(byte)
                } else {
                    output.append(UInt8(ascii: "?"))
                }
            }
        }
    }

    /// The Windows-1252 byte in 0x80–0x9F for a code point, if any.
    static func windows1252Byte(for value: UInt32) -> UInt8? {
        guard value >= 0x100, value != 0xFFFD,
            let index = windows1252High.firstIndex(of: UInt16(truncatingIfNeeded: value)),
            value <= 0xFFFF
        else { return nil }
        return UInt8(0x80 + index)
    }
}
