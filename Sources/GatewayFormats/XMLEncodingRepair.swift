import Foundation
import GatewayCore

/// What the bytes of an XML file say of its encoding, against what its prolog declares: read once, streaming,
/// before the file is parsed, so that bytes that contradict the declaration are never decoded into garbled text.
///
/// A line is *UTF-8* when its bytes past ASCII form valid multi-byte UTF-8, *single-byte* when they do not (Latin-1
/// or Windows-1252 text). French text in a single-byte encoding practically never forms valid multi-byte UTF-8, and
/// UTF-8 text never forms invalid UTF-8: the two are told apart with certainty, line by line.
struct XMLEncodingSurvey {
    enum ByteOrderMark { case utf8, utf16LittleEndian, utf16BigEndian }

    var byteOrderMark: ByteOrderMark?
    /// The `encoding` of the XML declaration, lower-cased, if any.
    var declared: String?
    /// Lines whose non-ASCII bytes are valid multi-byte UTF-8: the first one, and how many.
    var utf8Lines: (first: Int, count: Int)?
    /// Lines with bytes that are not valid UTF-8.
    var singleByteLines: (first: Int, count: Int)?
    /// The first single-byte line with a byte 0x80–0x9F (C1 controls in Latin-1, letters in Windows-1252).
    var highControlLine: Int?
    /// The first single-byte line with a byte that Windows-1252 leaves undefined, and that byte.
    var undefinedByte: (line: Int, byte: UInt8)?

    /// Reads the file at `path` by 64 KiB chunks.
    static func scan(path: String) -> XMLEncodingSurvey {
        var survey = XMLEncodingSurvey()
        guard let handle = FileHandle(forReadingAtPath: path) else { return survey }
        defer { try? handle.close() }
        var line = 1
        // The current line: valid multi-byte UTF-8 seen, invalid bytes seen, a 0x80–0x9F byte, an undefined one.
        var sawUTF8 = false
        var sawInvalid = false
        var sawHigh = false
        var undefined: UInt8?
        // UTF-8 decoding state: continuation bytes still expected, and the range the next one must be in.
        var needed = 0
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        var prolog: [UInt8] = []
        var first = true
        func endLine() {
            if sawInvalid {
                survey.singleByteLines = (
                    survey.singleByteLines?.first ?? line, (survey.singleByteLines?.count ?? 0) + 1
                )
                if sawHigh && survey.highControlLine == nil { survey.highControlLine = line }
                if let undefined, survey.undefinedByte == nil { survey.undefinedByte = (line, undefined) }
            } else if sawUTF8 {
                survey.utf8Lines = (survey.utf8Lines?.first ?? line, (survey.utf8Lines?.count ?? 0) + 1)
            }
            sawUTF8 = false
            sawInvalid = false
            sawHigh = false
            undefined = nil
        }
        while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let bytes = raw.bindMemory(to: UInt8.self)
                var index = 0
                if first {
                    first = false
                    if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
                        survey.byteOrderMark = .utf8
                        index = 3
                    } else if bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE {
                        survey.byteOrderMark = .utf16LittleEndian
                    } else if bytes.count >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF {
                        survey.byteOrderMark = .utf16BigEndian
                    }
                    if survey.byteOrderMark == .utf16LittleEndian || survey.byteOrderMark == .utf16BigEndian {
                        var raw = Array(bytes.dropFirst(2))
                        var text: [UInt8] = []
                        try? ByteReader.transcode(
                            &raw, survey.byteOrderMark == .utf16LittleEndian ? .littleEndian : .bigEndian, into: &text)
                        if let end = text.firstIndex(of: UInt8(ascii: ">")) { prolog = Array(text[...end]) }
                        return
                    }
                    if let end = bytes[index...].firstIndex(of: UInt8(ascii: ">")) {
                        prolog = Array(bytes[index...end])
                    }
                }
                let count = bytes.count
                while index < count {
                    // ASCII runs, the bulk of a file, eight bytes at a time. The first line feed of a word ends
                    // the current line; the lines it holds after that one are ASCII: only counted.
                    if needed == 0 {
                        while index + 8 <= count {
                            let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                            guard word & ByteWord.highs == 0 else { break }
                            let feeds = Self.lineFeeds(word)
                            if feeds > 0 {
                                if sawUTF8 || sawInvalid { endLine() }
                                line += feeds
                            }
                            index += 8
                        }
                        guard index < count else { break }
                    }
                    let byte = bytes[index]
                    index += 1
                    if needed > 0 {
                        if byte >= lower && byte <= upper {
                            needed -= 1
                            lower = 0x80
                            upper = 0xBF
                            if needed == 0 { sawUTF8 = true }
                            continue
                        }
                        // Not the continuation expected: the sequence was not UTF-8; read this byte afresh.
                        needed = 0
                        lower = 0x80
                        upper = 0xBF
                        sawInvalid = true
                    }
                    if byte == 0x0A {
                        // A line of ASCII only has nothing to note (the other flags come with `sawInvalid`).
                        if sawUTF8 || sawInvalid { endLine() }
                        line += 1
                        continue
                    }
                    guard byte >= 0x80 else { continue }
                    if byte <= 0x9F {
                        sawHigh = true
                        if TextDecoding.windows1252High[Int(byte) - 0x80] == 0xFFFD && undefined == nil {
                            undefined = byte
                        }
                    }
                    switch byte {
                    case 0xC2...0xDF: needed = 1
                    case 0xE0:
                        needed = 2
                        lower = 0xA0
                    case 0xE1...0xEC, 0xEE, 0xEF: needed = 2
                    case 0xED:
                        needed = 2
                        upper = 0x9F
                    case 0xF0:
                        needed = 3
                        lower = 0x90
                    case 0xF1...0xF3: needed = 3
                    case 0xF4:
                        needed = 3
                        upper = 0x8F
                    default: sawInvalid = true
                    }
                }
            }
            if survey.byteOrderMark == .utf16LittleEndian || survey.byteOrderMark == .utf16BigEndian { break }
        }
        if needed > 0 { sawInvalid = true }
        endLine()
        survey.declared = Self.declaredEncoding(prolog)
        return survey
    }

    /// The line feeds among the eight ASCII bytes of `word` (exact: `ByteWord.equal` sets each byte's own high bit,
    /// with no carry from its neighbours).
    @inline(__always)
    static func lineFeeds(_ word: UInt64) -> Int { ByteWord.equal(word, 0x0A).nonzeroBitCount }

    /// The `encoding` pseudo-attribute of an XML declaration (`<?xml version="1.0" encoding="windows-1252"?>`).
    static func declaredEncoding(_ prolog: [UInt8]) -> String? {
        guard let text = String(bytes: prolog, encoding: .isoLatin1), text.hasPrefix("<?xml"),
            let key = text.range(of: "encoding")
        else { return nil }
        let rest = text[key.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return value.lowercased()
    }

    /// Whether `label` names a single-byte encoding that decodes any byte (Latin-1, Windows-1252 and kin).
    static func isSingleByte(_ label: String) -> Bool {
        TextEncoding(label: label).map { $0 == .windows1252 || $0 == .latin1 } ?? false
    }
}

/// How an XML file is read once its survey is known: as it is, or repaired into UTF-8 (each line read as what it
/// certainly is, the declaration rewritten to say UTF-8), with the anomaly that says so; or refused.
enum XMLEncodingPlan {
    case asIs
    /// Read through `XMLRepairingSource`; the anomaly, when the bytes contradicted the declaration.
    case repair(anomaly: ValidationIssue?)

    /// The plan for a file declared (or pinned) `encoding`; throws when no reading is certain.
    static func plan(_ survey: XMLEncodingSurvey, pinned: String?) throws(FormatError) -> XMLEncodingPlan {
        if survey.byteOrderMark == .utf16LittleEndian || survey.byteOrderMark == .utf16BigEndian {
            // The byte order mark is certain: the file is read as UTF-16, whatever its declaration says.
            guard let declared = pinned?.lowercased() ?? survey.declared, !declared.hasPrefix("utf-16") else {
                return .repair(anomaly: nil)
            }
            return .repair(
                anomaly: ValidationIssue(
                    type: .formatError, line: 1,
                    message:
                        "Le fichier se déclare en \(declared) mais il est encodé en UTF-16 (marque d'ordre d'octets) : lu en UTF-16.",
                    check: .encodingMismatch))
        }
        let label = pinned?.lowercased() ?? survey.declared ?? "utf-8"
        let name = pinned ?? survey.declared ?? "UTF-8 (aucun encodage déclaré)"
        guard XMLEncodingSurvey.isSingleByte(label) else {
            // Declared UTF-8 (or nothing, which means UTF-8): bytes that are not UTF-8 have no certain reading.
            if let (first, count) = survey.singleByteLines {
                throw FormatError(
                    .formatError, line: first,
                    message:
                        "Fichier XML illisible : \(count) ligne(s) ne sont pas en UTF-8 comme le fichier le déclare (\(name)), "
                        + "la première ligne \(first) ; l'encodage réel (windows-1252, ISO-8859-1) doit être déclaré.")
            }
            return .asIs
        }
        if let (line, byte) = survey.undefinedByte {
            throw FormatError(
                .formatError, line: line,
                message:
                    "Fichier XML illisible : octet 0x\(String(byte, radix: 16, uppercase: true)) ligne \(line), qui n'a de sens "
                    + "ni en \(name) ni en UTF-8 ; le fichier doit être renvoyé correctement encodé.")
        }
        var parts: [String] = []
        var line: Int?
        if survey.byteOrderMark == .utf8 {
            parts.append("il commence par une marque d'ordre d'octets UTF-8 (BOM)")
            line = 1
        }
        if let (first, count) = survey.utf8Lines {
            parts.append("\(count) ligne(s) sont en UTF-8, la première ligne \(first)")
            line = line ?? first
        }
        let latin1 = TextEncoding(label: label) == .latin1
        if latin1, let first = survey.highControlLine {
            parts.append("des caractères Windows-1252 (€, ’, Œ…) figurent dès la ligne \(first), lus en Windows-1252")
            line = line ?? first
        }
        guard !parts.isEmpty else { return .asIs }
        return .repair(
            anomaly: ValidationIssue(
                type: .formatError, line: line,
                message:
                    "Le fichier se déclare en \(name) mais " + parts.joined(separator: " ; ")
                    + " : chaque ligne est lue dans son encodage réel ; le fichier devrait être enregistré dans un seul encodage.",
                check: .encodingMismatch))
    }
}

/// The bytes of a file, repaired into UTF-8 line by line: a line that is valid UTF-8 is passed as it is, any other
/// is read as Windows-1252 (Latin-1's superset, whose 0x80–0x9F are the letters a partner meant); a UTF-8 byte
/// order mark is dropped and the XML declaration's encoding becomes UTF-8. Lines keep their numbers. At most one
/// line (cut at 1 MiB) is held at a time.
final class XMLRepairingSource {
    private let descriptor: Int32
    /// The byte order of a UTF-16 file (with its mark), transcoded into UTF-8 before its lines are repaired.
    private let utf16: ByteReader.UTF16Order?
    private var rawUTF16: [UInt8] = []
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var outputStart = 0
    private var atEnd = false
    private var first = true
    private static let maxLine = 1 << 20

    init(descriptor: Int32, utf16: ByteReader.UTF16Order? = nil) {
        self.descriptor = descriptor
        self.utf16 = utf16
    }

    /// Fills `buffer` with up to `capacity` repaired bytes; 0 at the end, -1 on a read error.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int {
        while output.count - outputStart < capacity && !(atEnd && input.isEmpty) {
            if !fill() { return -1 }
        }
        let count = min(capacity, output.count - outputStart)
        output.withUnsafeBufferPointer { bytes in
            (buffer).update(from: bytes.baseAddress! + outputStart, count: count)
        }
        outputStart += count
        if outputStart > 1 << 16 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        return count
    }

    /// Reads more of the file and repairs its complete lines; false on a read error.
    private func fill() -> Bool {
        if !atEnd {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return false }
            if count == 0 {
                atEnd = true
            } else if let utf16 {
                rawUTF16 += chunk[0..<count]
                if first && rawUTF16.count >= 2 && ByteReader.utf16Order(rawUTF16[...]) != nil {
                    rawUTF16.removeFirst(2)
                }
                do { try ByteReader.transcode(&rawUTF16, utf16, into: &input) } catch { return false }
            } else {
                input.append(contentsOf: chunk[0..<count])
            }
        }
        if first && (input.count >= 3 || atEnd) {
            first = false
            if input.starts(with: [0xEF, 0xBB, 0xBF]) { input.removeFirst(3) }
            if input.starts(with: Array("<?xml".utf8)), let end = input.firstIndex(of: UInt8(ascii: ">")) {
                input.replaceSubrange(0...end, with: Self.utf8Declaration(Array(input[0...end])))
            }
        }
        var start = 0
        while let newline = input[start...].firstIndex(of: 0x0A) {
            repair(input[start...newline])
            start = newline + 1
        }
        if input.count - start > Self.maxLine || (atEnd && start < input.count) {
            // A very long line is repaired in pieces cut before a byte that starts a character.
            var cut = atEnd ? input.count : start + Self.maxLine
            while cut > start + 1 && cut < input.count && input[cut] & 0xC0 == 0x80 { cut -= 1 }
            repair(input[start..<cut])
            start = cut
        }
        input.removeFirst(start)
        return true
    }

    private func repair(_ line: ArraySlice<UInt8>) {
        line.withUnsafeBufferPointer { bytes in
            if TextDecoding.isValidUTF8(bytes) {
                output.append(contentsOf: bytes)
            } else {
                output.append(contentsOf: TextDecoding.windows1252(bytes).utf8)
            }
        }
    }

    /// The XML declaration with `encoding="UTF-8"`.
    static func utf8Declaration(_ declaration: [UInt8]) -> [UInt8] {
        guard var text = String(bytes: declaration, encoding: .isoLatin1),
            let key = text.range(of: "encoding")
        else { return declaration }
        let after = text[key.upperBound...]
        guard let open = after.firstIndex(where: { $0 == "\"" || $0 == "'" }) else { return declaration }
        let quote = text[open]
        guard let close = text[text.index(after: open)...].firstIndex(of: quote) else { return declaration }
        text.replaceSubrange(text.index(after: open)..<close, with: "UTF-8")
        return Array(text.utf8)
    }
}
