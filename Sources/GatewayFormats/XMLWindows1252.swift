import CLibXML2
import GatewayCore

/// A table-driven Windows-1252 → UTF-8 decoder registered with libxml2, in place of the iconv round trip it
/// would otherwise use for CNAF's usual `encoding="windows-1252"`. Undefined bytes (0x81, 0x8D, 0x8F, 0x90,
/// 0x9D) fail the conversion, as iconv does: the file is then reported as not in its declared encoding.
enum XMLWindows1252 {
    /// UTF-8 of each byte 0x80–0x9F; empty for the five undefined bytes.
    private static let high: [[UInt8]] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
        0x0178,
    ].map { (scalar: Int) -> [UInt8] in
        guard scalar != 0, let value = Unicode.Scalar(scalar) else { return [] }
        return Array(String(Character(value)).utf8)
    }

    /// Registers the decoder under the names CNAF files use. Called once, before any parse.
    static func register() {
        for name in ["windows-1252", "cp1252"] {
            _ = xmlNewCharEncodingHandler(name, decode, nil)
        }
    }

    private static let decode: xmlCharEncodingInputFunc = { out, outLength, input, inLength in
        guard let out, let outLength, let input, let inLength else { return -1 }
        let inCount = Int(inLength.pointee)
        let outCapacity = Int(outLength.pointee)
        var read = 0
        var written = 0
        while read < inCount {
            // Runs of ASCII, the bulk of a CNAF file, are copied eight bytes at a time.
            while read + 8 <= inCount && written + 8 <= outCapacity {
                let word = UnsafeRawPointer(input + read).loadUnaligned(as: UInt64.self)
                guard word & ByteWord.highs == 0 else { break }
                UnsafeMutableRawPointer(out + written).storeBytes(of: word, as: UInt64.self)
                read += 8
                written += 8
            }
            guard read < inCount else { break }
            let byte = input[read]
            if byte < 0x80 {
                guard written < outCapacity else { break }
                out[written] = byte
                written += 1
            } else if byte >= 0xA0 {
                guard written + 2 <= outCapacity else { break }
                out[written] = 0xC0 | (byte >> 6)
                out[written + 1] = 0x80 | (byte & 0x3F)
                written += 2
            } else {
                let bytes = XMLWindows1252.high[Int(byte - 0x80)]
                if bytes.isEmpty {
                    outLength.pointee = Int32(written)
                    inLength.pointee = Int32(read)
                    return -2
                }
                guard written + bytes.count <= outCapacity else { break }
                for (offset, value) in bytes.enumerated() { out[written + offset] = value }
                written += bytes.count
            }
            read += 1
        }
        outLength.pointee = Int32(written)
        inLength.pointee = Int32(read)
        return Int32(written)
    }
}
