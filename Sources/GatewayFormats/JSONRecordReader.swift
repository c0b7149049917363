import GatewayCore

/// A streaming reader of JSON records: a top-level array, an array wrapped in an object, or NDJSON.
///
/// The file is read by 64 KiB chunks and parsed incrementally; only the current record is held in memory.
/// The layout comes from the first non-blank byte: `[` is an array of records, `{` is NDJSON (one value per
/// line, blank lines allowed), or, when `arrayKey` is given, an object whose member `arrayKey` holds the
/// array of records (`{"resultats": [...]}`; its other members are read and ignored).
///
/// Input is UTF-8 (a BOM is skipped). Strings are checked (escapes, `\uXXXX` surrogate pairs, valid UTF-8,
/// no raw control characters), numbers follow the JSON grammar and keep their literal text, nesting deeper
/// than `maximumDepth` is refused, and an object repeating a member name is refused, since two readers of
/// such a record could disagree on its value.
///
/// Errors carry the physical line and a French message. In NDJSON a record must hold on its line; after an
/// error `next()` can be called again: the reader resynchronises at the next line and goes on. In the array
/// layouts an error is final and `next()` throws it again.
public final class JSONRecordReader {
    /// How the records are laid out in the file.
    public enum Layout: Sendable, Hashable {
        /// A top-level array of records.
        case array
        /// NDJSON: one record per line.
        case lines
        /// An object whose member `key` holds the array of records.
        case wrappedArray(key: String)
    }

    /// Deepest nesting of arrays and objects accepted in a record.
    public static let maximumDepth = 64

    /// The layout detected from the first byte.
    public private(set) var layout: Layout = .lines

    private let source: ByteReader
    private let arrayKey: String?
    private var position = 0
    private var line = 1
    private var afterCR = false
    /// Window index of the record being parsed, kept through refills; nil between records.
    private var recordStart: Int?
    /// True while parsing an NDJSON record, where a line break is an error.
    private var withinLine = false
    private var needsResync = false
    private var finished = false
    private var failure: FormatError?
    private var scratch: [UInt8] = []

    private enum ArrayState { case first, afterElement }
    private var arrayState = ArrayState.first

    /// Opens `path` and detects its layout; `arrayKey` names the member holding the records in a wrapping object.
    public convenience init(path: String, arrayKey: String? = nil) throws(FormatError) {
        try self.init(source: ByteReader(path: path), arrayKey: arrayKey)
    }

    /// Reads JSON held in memory, for tests and small inputs.
    public convenience init(bytes: [UInt8], arrayKey: String? = nil) throws(FormatError) {
        try self.init(source: ByteReader(bytes: bytes), arrayKey: arrayKey)
    }

    init(source: ByteReader, arrayKey: String?) throws(FormatError) {
        self.source = source
        self.arrayKey = arrayKey
        try start()
    }

    /// Bytes of the file read so far, for progress display.
    public var bytesConsumed: Int { source.windowOffset + position }

    /// Size of the file, when known.
    public var fileSize: Int? { source.fileSize }

    /// The next record with the line where it starts and its text, or nil at the end of the file.
    public func next() throws(FormatError) -> (value: JSONValue, line: Int, raw: String)? {
        if let failure { throw failure }
        if finished { return nil }
        if layout == .lines { return try nextLine() }
        do {
            return try nextElement()
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - Layout

    private func start() throws(FormatError) {
        while source.count < 3 {
            if try !fill() { break }
        }
        let p = source.storage
        if source.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { position = 3 }
        try skipWhitespace()
        guard let first = try peek() else {
            finished = true
            return
        }
        switch first {
        case UInt8(ascii: "["):
            layout = .array
            position += 1
        case UInt8(ascii: "{"):
            if let arrayKey {
                try enterWrapper(key: arrayKey)
                layout = .wrappedArray(key: arrayKey)
            } else {
                layout = .lines
            }
        default:
            throw invalid("« [ » ou « { » attendu au début du fichier")
        }
    }

    /// Reads the wrapping object up to the `[` of member `key`, ignoring the members before it.
    private func enterWrapper(key: String) throws(FormatError) {
        position += 1
        while true {
            try skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else {
                if try peek() == UInt8(ascii: "}") {
                    throw invalid("le membre « \(key) » contenant les enregistrements est absent")
                }
                throw invalid("nom de membre entre guillemets attendu")
            }
            let name = try parseString()
            try skipWhitespace()
            try expect(UInt8(ascii: ":"), "deux-points attendu")
            try skipWhitespace()
            if name == key {
                guard try peek() == UInt8(ascii: "[") else {
                    throw invalid("le membre « \(key) » doit être un tableau")
                }
                position += 1
                return
            }
            _ = try parseValue(depth: 1)
            try skipWhitespace()
            guard try peek() == UInt8(ascii: ",") else {
                if try peek() == UInt8(ascii: "}") {
                    throw invalid("le membre « \(key) » contenant les enregistrements est absent")
                }
                throw invalid("virgule ou accolade attendue")
            }
            position += 1
        }
    }

    /// After the records' `]`: the wrapper's remaining members, then nothing but blanks.
    private func finishArray() throws(FormatError) {
        if case .wrappedArray = layout {
            while true {
                try skipWhitespace()
                let byte = try peek()
                if byte == UInt8(ascii: "}") {
                    position += 1
                    break
                }
                guard byte == UInt8(ascii: ",") else { throw invalid("virgule ou accolade attendue") }
                position += 1
                try skipWhitespace()
                guard try peek() == UInt8(ascii: "\"") else {
                    throw invalid("nom de membre entre guillemets attendu")
                }
                _ = try parseString()
                try skipWhitespace()
                try expect(UInt8(ascii: ":"), "deux-points attendu")
                try skipWhitespace()
                _ = try parseValue(depth: 1)
            }
        }
        try skipWhitespace()
        if try peek() != nil { throw invalid("contenu inattendu après la fin du JSON") }
        finished = true
    }

    // MARK: - Records

    private func nextElement() throws(FormatError) -> (value: JSONValue, line: Int, raw: String)? {
        try skipWhitespace()
        let byte = try peek()
        if byte == UInt8(ascii: "]") {
            position += 1
            try finishArray()
            return nil
        }
        if arrayState == .afterElement {
            guard byte == UInt8(ascii: ",") else {
                if byte == nil { throw invalid("fin de fichier inattendue : crochet fermant attendu") }
                throw invalid("virgule ou crochet attendu")
            }
            position += 1
            try skipWhitespace()
        }
        let record = try parseRecord()
        arrayState = .afterElement
        return record
    }

    private func nextLine() throws(FormatError) -> (value: JSONValue, line: Int, raw: String)? {
        if needsResync {
            try skipRestOfLine()
            needsResync = false
        }
        try skipWhitespace()
        guard try peek() != nil else {
            finished = true
            return nil
        }
        withinLine = true
        defer { withinLine = false }
        do throws(FormatError) {
            let record = try parseRecord()
            while let byte = try peek(), byte == 0x20 || byte == 0x09 { position += 1 }
            if let byte = try peek(), byte != 0x0A && byte != 0x0D {
                throw invalid("fin de ligne attendue après l'enregistrement (un enregistrement par ligne)")
            }
            return record
        } catch {
            recordStart = nil
            if let failure { throw failure }
            needsResync = true
            throw error
        }
    }

    private func parseRecord() throws(FormatError) -> (value: JSONValue, line: Int, raw: String) {
        let startLine = line
        recordStart = position
        let value = try parseValue(depth: 0)
        let from = recordStart ?? 0
        // Outside strings only ASCII is accepted and strings are checked, so the record is valid UTF-8.
        let raw = TextDecoding.string(
            validUTF8: UnsafeBufferPointer(start: source.storage + from, count: position - from))
        recordStart = nil
        return (value, startLine, raw)
    }

    private func skipRestOfLine() throws(FormatError) {
        while let byte = try peek() {
            position += 1
            if byte == 0x0A {
                if afterCR { afterCR = false } else { line += 1 }
                return
            }
            if byte == 0x0D {
                line += 1
                afterCR = true
                return
            }
            afterCR = false
        }
    }

    // MARK: - Bytes

    private func fill() throws(FormatError) -> Bool {
        let keep = recordStart ?? position
        do {
            let got = try source.refill(keepingFrom: keep)
            position -= keep
            if recordStart != nil { recordStart = 0 }
            return got
        } catch {
            var located = error
            located.issue.line = located.issue.line ?? line
            failure = located
            throw located
        }
    }

    private func peek() throws(FormatError) -> UInt8? {
        if position == source.count, try !fill() { return nil }
        return source.storage[position]
    }

    private func expect(_ byte: UInt8, _ message: String) throws(FormatError) {
        guard try peek() == byte else { throw invalid(message) }
        position += 1
    }

    private func invalid(_ reason: String) -> FormatError {
        FormatError(.formatError, line: line, message: "JSON invalide ligne \(line) : \(reason)")
    }

    private func skipWhitespace() throws(FormatError) {
        while let byte = try peek() {
            switch byte {
            case 0x20, 0x09:
                afterCR = false
            case 0x0A:
                if withinLine { throw invalid("fin de ligne inattendue (un enregistrement par ligne)") }
                if afterCR { afterCR = false } else { line += 1 }
            case 0x0D:
                if withinLine { throw invalid("fin de ligne inattendue (un enregistrement par ligne)") }
                line += 1
                afterCR = true
            default:
                afterCR = false
                return
            }
            position += 1
        }
    }

    // MARK: - Values

    private func parseValue(depth: Int) throws(FormatError) -> JSONValue {
        guard let byte = try peek() else { throw invalid("fin de fichier inattendue : valeur attendue") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        default:
            throw invalid("valeur attendue (objet, tableau, texte, nombre, true, false ou null)")
        }
    }

    private func checkDepth(_ depth: Int) throws(FormatError) {
        if depth > JSONRecordReader.maximumDepth {
            throw invalid("imbrication trop profonde (plus de \(JSONRecordReader.maximumDepth) niveaux)")
        }
    }

    private func parseObject(depth: Int) throws(FormatError) -> JSONValue {
        try checkDepth(depth)
        position += 1
        var object = JSONObject()
        var names: Set<String>?
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            try skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else {
                throw invalid("nom de membre entre guillemets attendu")
            }
            let name = try parseString()
            let repeated: Bool
            if object.count < 16 {
                repeated = object.keys.contains(name)
            } else {
                var known = names ?? Set(object.keys)
                repeated = !known.insert(name).inserted
                names = known
            }
            if repeated { throw invalid("membre « \(name) » en double dans un objet") }
            try skipWhitespace()
            try expect(UInt8(ascii: ":"), "deux-points attendu après le nom de membre")
            try skipWhitespace()
            let value = try parseValue(depth: depth)
            object.appendUnchecked(key: name, value: value)
            try skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(object)
            case nil:
                throw invalid("fin de fichier inattendue : virgule ou accolade attendue")
            default:
                throw invalid("virgule ou accolade attendue")
            }
        }
    }

    private func parseArray(depth: Int) throws(FormatError) -> JSONValue {
        try checkDepth(depth)
        position += 1
        var elements: [JSONValue] = []
        try skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            try skipWhitespace()
            elements.append(try parseValue(depth: depth))
            try skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            case nil:
                throw invalid("fin de fichier inattendue : virgule ou crochet attendu")
            default:
                throw invalid("virgule ou crochet attendu")
            }
        }
    }

    private func parseLiteral(_ word: StaticString) throws(FormatError) {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expected in bytes {
            guard try peek() == expected else { throw invalid("littéral inconnu (true, false ou null attendu)") }
            position += 1
        }
    }

    private func parseNumber() throws(FormatError) -> String {
        var text = scratch
        scratch = []
        defer { scratch = text }
        text.removeAll(keepingCapacity: true)

        func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }
        func take() throws(FormatError) {
            text.append(source.storage[position])
            position += 1
        }
        func digits() throws(FormatError) {
            guard isDigit(try peek()) else { throw invalid("chiffre attendu dans un nombre") }
            while isDigit(try peek()) { try take() }
        }

        if try peek() == UInt8(ascii: "-") { try take() }
        if try peek() == UInt8(ascii: "0") {
            try take()
            if isDigit(try peek()) { throw invalid("zéro initial interdit dans un nombre") }
        } else {
            try digits()
        }
        if try peek() == UInt8(ascii: ".") {
            try take()
            try digits()
        }
        if let byte = try peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            try take()
            if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { try take() }
            try digits()
        }
        return text.withUnsafeBufferPointer { TextDecoding.string(validUTF8: $0) }
    }

    /// Reads a string from its opening quote; the text is checked as UTF-8.
    private func parseString() throws(FormatError) -> String {
        var text = scratch
        scratch = []
        defer { scratch = text }
        text.removeAll(keepingCapacity: true)
        position += 1
        while true {
            // Copy the run of plain bytes in one go.
            let p = source.storage
            let n = source.count
            var end = position
            while end < n {
                let byte = p[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                end += 1
            }
            if end > position {
                text.append(contentsOf: UnsafeBufferPointer(start: p + position, count: end - position))
                position = end
            }
            guard let byte = try peek() else { throw invalid("fin de fichier inattendue dans un texte") }
            if byte == UInt8(ascii: "\"") {
                position += 1
                break
            }
            if byte < 0x20 {
                throw invalid("caractère de contrôle non échappé dans un texte (saut de ligne ?)")
            }
            if byte == UInt8(ascii: "\\") {
                position += 1
                try parseEscape(into: &text)
            }
        }
        let result = text.withUnsafeBufferPointer { TextDecoding.utf8($0) }
        guard let result else { throw invalid("texte non encodé en UTF-8") }
        return result
    }

    private func parseEscape(into text: inout [UInt8]) throws(FormatError) {
        guard let byte = try peek() else { throw invalid("fin de fichier inattendue dans un texte") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard try peek() == UInt8(ascii: "\\") else { throw invalid("demi-caractère UTF-16 isolé (\\u)") }
                position += 1
                guard try peek() == UInt8(ascii: "u") else { throw invalid("demi-caractère UTF-16 isolé (\\u)") }
                position += 1
                let low = try parseHex4()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw invalid("demi-caractère UTF-16 isolé (\\u)") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw invalid("demi-caractère UTF-16 isolé (\\u)")
            }
            text.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            throw invalid("séquence d'échappement inconnue « \\\(String(UnicodeScalar(byte))) »")
        }
    }

    private func parseHex4() throws(FormatError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try peek() else { throw invalid("fin de fichier inattendue dans un texte") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw invalid("quatre chiffres hexadécimaux attendus après \\u")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}

/// One task owns a JSON reader; it is not shared across tasks.
@available(*, unavailable)
extension JSONRecordReader: Sendable {}
