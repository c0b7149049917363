import GatewayCore

/// How to read a partner's CSV file.
public struct CSVOptions: Sendable {
    /// Header names that must be present (compared trimmed, case-insensitive, BOM stripped).
    public var requiredColumns: [String]
    /// The cell separator; nil chooses among `;`, `,` and tab by matching the header.
    public var delimiter: UInt8?
    /// `.auto` reads strict UTF-8 and falls back to Windows-1252; other values pin the encoding.
    public var encoding: TextEncoding
    /// False when the first line is already data; `requiredColumns` is then not checked.
    public var hasHeader: Bool

    /// Creates options; the defaults read a UTF-8 or Windows-1252 file with a header and any usual separator.
    public init(
        requiredColumns: [String] = [], delimiter: UInt8? = nil, encoding: TextEncoding = .auto,
        hasHeader: Bool = true
    ) {
        self.requiredColumns = requiredColumns
        self.delimiter = delimiter
        self.encoding = encoding
        self.hasHeader = hasHeader
    }
}

/// One CSV record as read, before any mapping.
public struct CSVRecord: Sendable, Hashable {
    /// Decoded cells, unquoted, not trimmed.
    public let fields: [String]
    /// Physical line (1-based) where the record starts.
    public let line: Int
    /// Physical line where the record ends (later than `line` when a quoted cell holds line breaks).
    public let endLine: Int
    /// The record's text as decoded, without its line terminator, for quarantine.
    public let raw: String

    /// Creates a record, for tests and adapters.
    public init(fields: [String], line: Int, endLine: Int, raw: String) {
        self.fields = fields
        self.line = line
        self.endLine = endLine
        self.raw = raw
    }
}

/// A streaming reader of RFC 4180 CSV, with the leniencies partners' files need.
///
/// - The file is read by 64 KiB chunks; memory stays flat whatever its size, and a record may straddle chunks.
/// - A UTF-8 BOM is skipped; CRLF, LF and lone CR all end a line; line numbers are physical lines, so a record
///   whose quoted cell spans three lines is followed by a record three lines further on.
/// - Blank lines (a bare line terminator) are skipped but counted.
/// - A quote inside an unquoted cell (`12"B`) is kept literally, as spreadsheet tools do; text after a closing
///   quote (`"12"B`) is appended literally to the cell. Only an opening quote never closed is an error.
/// - A record whose cell count differs from the header's is returned as it is: the mapping reports it.
/// - With `.auto`, each record is decoded as strict UTF-8; at the first record that is not valid UTF-8 the reader
///   switches to Windows-1252 (`detectedEncoding` becomes `.windows1252`); `encodingWarnings` then names the line
///   of the switch when UTF-8 text came before.
/// - Under a single-byte encoding (pinned, or after that switch), a record that is valid multi-byte UTF-8 is read
///   as UTF-8, and bytes 0x80–0x9F under Latin-1 as Windows-1252: each is certain, and `encodingWarnings` counts
///   them. A byte Windows-1252 leaves undefined has no certain reading: the reader throws, naming the line.
/// - A file with a UTF-16 byte order mark is read as UTF-16 (`ByteReader` transcodes it). A NUL byte otherwise
///   means a binary file (or UTF-16 without its mark): the reader throws and stops.
///
/// Errors thrown by `next()` while splitting records (NUL byte, unclosed quote, I/O) are final and thrown again
/// by later calls; an invalid UTF-8 record with a pinned `.utf8` encoding is consumed, so `next()` can go on.
/// Not thread-safe: one task reads one file.
public final class CSVReader {
    /// Column names from the header, trimmed, BOM stripped; empty without a header.
    public private(set) var header: [String] = []
    /// The separator in use, pinned or detected.
    public private(set) var delimiter: UInt8
    /// `.utf8` until a record is not valid UTF-8 (with `.auto`), else the pinned encoding.
    public private(set) var detectedEncoding: TextEncoding
    /// Anomalies of the file's encoding (check `encoding-mismatch`): UTF-8 records under a single-byte encoding,
    /// Windows-1252 bytes under Latin-1, a switch to Windows-1252 after UTF-8 text was read. Each was read as what
    /// it certainly is.
    public var encodingWarnings: [ValidationIssue] {
        var warnings = switchWarnings
        let expected = options.encoding == .auto ? detectedEncoding.displayName : options.encoding.displayName
        if let (first, count) = utf8UnderSingleByte {
            warnings.append(
                ValidationIssue(
                    type: .formatError, line: first,
                    message:
                        "\(count) enregistrement(s) encodé(s) en UTF-8 alors que le flux est en \(expected), le premier ligne \(first) : "
                        + "lu(s) en UTF-8 ; le fichier devrait être enregistré dans un seul encodage",
                    check: .encodingMismatch))
        }
        if let (first, count) = c1UnderLatin1 {
            warnings.append(
                ValidationIssue(
                    type: .formatError, line: first,
                    message:
                        "\(count) enregistrement(s) contiennent des caractères Windows-1252 (€, ’, Œ…) alors que le flux est en ISO-8859-1, "
                        + "le premier ligne \(first) : lu(s) en Windows-1252",
                    check: .encodingMismatch))
        }
        return warnings
    }
    private var switchWarnings: [ValidationIssue] = []
    /// Records read as UTF-8 under a single-byte encoding: the first one's line, and how many.
    private var utf8UnderSingleByte: (first: Int, count: Int)?
    /// Records read as Windows-1252 under a pinned Latin-1.
    private var c1UnderLatin1: (first: Int, count: Int)?
    /// The options the reader was created with.
    public let options: CSVOptions

    private let source: ByteReader
    private var position = 0
    private var line = 1
    private var afterCR = false
    private var sawMultibyteUTF8 = false
    private var failure: FormatError?
    private var columnIndexes: [String: Int] = [:]
    /// File offset before which `nextBlock` cuts no block: where it last found no line feed to end one, or a few
    /// blocks past one that did not read cleanly (records are then read one at a time, never scanned twice over).
    private var noBlockBefore = 0
    /// Per cell of the last scanned record: start, end and quoted flag, relative to the record's first byte.
    private var cellBounds: UnsafeMutablePointer<Int>
    private var cellBoundsCapacity = 3 * 64
    private var cellBoundsCount = 0
    /// Bit 0: stops an unquoted cell (separator, CR, LF, NUL); bit 1: stops a quoted cell (quote, CR, LF, NUL).
    private let stops: UnsafeMutablePointer<UInt8>

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let candidates: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: ","), UInt8(ascii: "\t")]

    /// Opens `path` and reads its header, checking the required columns.
    public convenience init(path: String, options: CSVOptions) throws(FormatError) {
        try self.init(source: ByteReader(path: path), options: options)
    }

    /// Reads CSV held in memory, for tests and small inputs.
    public convenience init(bytes: [UInt8], options: CSVOptions) throws(FormatError) {
        try self.init(source: ByteReader(bytes: bytes), options: options)
    }

    init(source: ByteReader, options: CSVOptions) throws(FormatError) {
        self.source = source
        self.options = options
        delimiter = options.delimiter ?? CSVReader.candidates[0]
        detectedEncoding = options.encoding == .auto ? .utf8 : options.encoding
        stops = .allocate(capacity: 256)
        cellBounds = .allocate(capacity: cellBoundsCapacity)
        setDelimiter(delimiter)
        try skipByteOrderMark()
        if options.hasHeader {
            try readHeader()
        } else if options.delimiter == nil {
            try detectDelimiterWithoutHeader()
        }
    }

    deinit {
        stops.deallocate()
        cellBounds.deallocate()
    }

    /// Bytes of the file read so far, for progress display.
    public var bytesConsumed: Int { source.windowOffset + position }

    /// The physical line the reader stands at: the next record's, or that of blank lines before it.
    public var nextLine: Int { line }

    /// Size of the file, when known.
    public var fileSize: Int? { source.fileSize }

    /// Index of a header column, compared trimmed and case-insensitively.
    public func columnIndex(_ name: String) -> Int? {
        columnIndexes[CSVReader.normalized(name)]
    }

    /// The next record, or nil at the end of the file.
    public func next() throws(FormatError) -> CSVRecord? {
        guard let scanned = try scanNext() else { return nil }
        return try decode(scanned, tolerant: false)
    }

    /// The next record as scanned, its cells as bytes (valid until the next read), or nil at the end of the file.
    /// The same checks as `next()` run on it (encoding included); `decoded()` gives what `next()` would have.
    public func nextRaw() throws(FormatError) -> CSVRawRecord? {
        guard let scanned = try scanNext() else { return nil }
        return try raw(scanned, tolerant: false)
    }

    /// The next record's bounds; a failure is kept, and thrown again by every later read.
    private func scanNext() throws(FormatError) -> ScannedRecord? {
        if let failure { throw failure }
        do {
            return try scanRecord()
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - Blocks read on several threads

    // The parts of a block read (`GatewayScreen.CSVBlockReader`, which runs them on several threads).

    /// A stretch of whole lines ahead of a reader, cut in segments that start at line starts. Each segment is read
    /// on its own thread by a reader of its own (`segmentReader`), with this reader's separator and encoding; the
    /// bytes stay valid until the main reader reads again.
    package struct Block {
        /// The segments' bytes, in file order.
        package let segments: [UnsafeBufferPointer<UInt8>]
        /// File offset just past the block.
        package let end: Int
    }

    /// What a segment's reader found, for `consume(_:segments:)`.
    package struct SegmentOutcome: Sendable {
        /// Physical lines the segment spans.
        package var lines: Int
        /// Whether it read cleanly: no error, no unclosed quote at its end, no change of encoding.
        package var clean: Bool
        package var sawMultibyteUTF8: Bool

        package init(lines: Int, clean: Bool, sawMultibyteUTF8: Bool) {
            self.lines = lines
            self.clean = clean
            self.sawMultibyteUTF8 = sawMultibyteUTF8
        }
    }

    /// Up to about `size` bytes of whole lines from the current position, cut in at most `parts` segments at line
    /// feeds; nil when no line feed can end it (a record longer than `size`, lone CR line ends, a failure already
    /// met). Read them with `segmentReader`, then call `consume`; until then the reader itself has not moved.
    package func nextBlock(size: Int, parts: Int) throws(FormatError) -> Block? {
        if failure != nil || source.windowOffset + position < noBlockBefore { return nil }
        if source.count - position < size && !source.isAtEnd {
            _ = try refill(keepingFrom: position)
            position = 0
            while source.count < size, try refill(keepingFrom: 0) {}
        }
        let p = source.storage
        let n = source.count
        // The line feed of a CRLF that ended the last record, as the next scan would skip it.
        if afterCR && position < n {
            if p[position] == CSVReader.lf { position += 1 }
            afterCR = false
        }
        guard position < n else { return nil }
        var cut: Int
        if source.isAtEnd && n - position <= size {
            cut = n
        } else {
            cut = min(n, position + size)
            while cut > position && p[cut - 1] != CSVReader.lf { cut -= 1 }
            if cut == position {
                noBlockBefore = source.windowOffset + min(n, position + size)
                return nil
            }
        }
        var segments: [UnsafeBufferPointer<UInt8>] = []
        var start = position
        for part in 1...max(parts, 1) {
            var end = part == parts ? cut : max(start, position + (cut - position) * part / parts)
            while end < cut && (end == start || p[end - 1] != CSVReader.lf) { end += 1 }
            if end > start { segments.append(UnsafeBufferPointer(start: p + start, count: end - start)) }
            start = end
        }
        return Block(segments: segments, end: source.windowOffset + cut)
    }

    /// Reads no block before file offset `offset`: records are read one at a time up to there, never scanned twice
    /// over (after a block that did not read cleanly, for quoted line breaks most likely).
    package func readsOneAtATime(until offset: Int) {
        noBlockBefore = max(noBlockBefore, offset)
    }

    /// A reader of one segment of a block, as this reader would read those records: same separator, encoding and
    /// header (for messages); its line numbers count from 1 at the segment's first line.
    public func segmentReader(_ segment: UnsafeBufferPointer<UInt8>) -> CSVReader {
        CSVReader(segment: segment, of: self)
    }

    private init(segment: UnsafeBufferPointer<UInt8>, of parent: CSVReader) {
        source = ByteReader(borrowing: segment)
        options = parent.options
        delimiter = parent.delimiter
        detectedEncoding = parent.detectedEncoding
        sawMultibyteUTF8 = parent.sawMultibyteUTF8
        header = parent.header
        stops = .allocate(capacity: 256)
        cellBounds = .allocate(capacity: cellBoundsCapacity)
        setDelimiter(delimiter)
    }

    /// How a segment reader ended, once it returned nil (or threw: pass `failed`).
    package func segmentOutcome(startingEncoding: TextEncoding, failed: Bool) -> SegmentOutcome {
        SegmentOutcome(
            lines: line - 1,
            clean: !failed && failure == nil && detectedEncoding == startingEncoding && utf8UnderSingleByte == nil
                && c1UnderLatin1 == nil,
            sawMultibyteUTF8: sawMultibyteUTF8)
    }

    /// Moves past `block` once every segment read cleanly: each segment then began at a record's start, since the
    /// one before it ended outside quotes. Returns false (and does not move) otherwise: the caller reads the
    /// block's records with `nextRaw()`, which finds the same records, or the same error, one at a time.
    package func consume(_ block: Block, segments: [SegmentOutcome]) -> Bool {
        guard segments.count == block.segments.count, segments.allSatisfy(\.clean) else { return false }
        position = block.end - source.windowOffset
        for segment in segments {
            line += segment.lines
            if segment.sawMultibyteUTF8 { sawMultibyteUTF8 = true }
        }
        // A block ends after a line feed, or at the end of the file (where a last CR no longer matters).
        afterCR = false
        return true
    }

    // MARK: - Header

    private func skipByteOrderMark() throws(FormatError) {
        while source.count < 3 {
            if try !refill(keepingFrom: 0) { break }
        }
        let p = source.storage
        let n = source.count
        if n >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF {
            position = 3
            // A UTF-8 byte order mark is certain: the file is UTF-8 whatever the flow pins.
            if options.encoding != .auto && options.encoding != .utf8 {
                detectedEncoding = .utf8
                switchWarnings.append(
                    ValidationIssue(
                        type: .formatError, line: 1,
                        message:
                            "le fichier commence par une marque d'ordre d'octets UTF-8 alors que le flux est en \(options.encoding.displayName) : lu en UTF-8",
                        check: .encodingMismatch))
            }
        } else if let order = source.utf16 {
            // The byte reader transcodes UTF-16 (its byte order mark is certain) into UTF-8.
            detectedEncoding = .utf8
            if options.encoding != .auto {
                switchWarnings.append(
                    ValidationIssue(
                        type: .formatError, line: 1,
                        message:
                            "le fichier est encodé en UTF-16 (\(order == .littleEndian ? "petit-boutiste" : "gros-boutiste"), avec sa marque d'ordre d'octets) "
                            + "alors que le flux est en \(options.encoding.displayName) : lu en UTF-16",
                        check: .encodingMismatch))
            }
        }
    }

    private struct HeaderTrial {
        var delimiter: UInt8
        var names: [String]
        var missing: [String]
    }

    private func readHeader() throws(FormatError) {
        let required = options.requiredColumns
        let candidates = options.delimiter.map { [$0] } ?? CSVReader.candidates
        var trials: [HeaderTrial] = []
        var headerLine = line
        for candidate in candidates {
            setDelimiter(candidate)
            guard let scanned = try scanRecord() else { break }
            let names = try decode(scanned, tolerant: true).fields.map(CSVReader.trimmed)
            let present = Set(names.map(CSVReader.normalized))
            let missing = required.filter { !present.contains(CSVReader.normalized($0)) }
            trials.append(HeaderTrial(delimiter: candidate, names: names, missing: missing))
            // Rewind to the header's first byte (blank lines before it stay skipped).
            position = scanned.absoluteStart - source.windowOffset
            line = scanned.line
            headerLine = scanned.line
            afterCR = false
        }
        let chosen: HeaderTrial
        if trials.isEmpty {
            chosen = HeaderTrial(delimiter: candidates[0], names: [], missing: required)
        } else if let complete = trials.filter({ $0.missing.isEmpty }).max(by: CSVReader.fewerColumns) {
            chosen = complete
        } else {
            chosen = trials.min { left, right in
                left.missing.count != right.missing.count
                    ? left.missing.count < right.missing.count : left.names.count > right.names.count
            }!
        }
        setDelimiter(chosen.delimiter)
        if !chosen.missing.isEmpty {
            throw FormatError(
                .missingLabel, line: headerLine,
                message: "Colonnes obligatoires absentes de l'en-tête : "
                    + chosen.missing.joined(separator: ", ")
                    + " (séparateur attendu « \(CSVReader.delimiterName(chosen.delimiter)) »)")
        }
        guard let scanned = try scanRecord() else { return }
        header = try decode(scanned, tolerant: false).fields.map(CSVReader.trimmed)
        for (index, name) in header.enumerated() where columnIndexes[CSVReader.normalized(name)] == nil {
            columnIndexes[CSVReader.normalized(name)] = index
        }
    }

    /// Stable choice among candidates that all match: the most columns, the earlier candidate on a tie.
    private static func fewerColumns(_ left: HeaderTrial, _ right: HeaderTrial) -> Bool {
        left.names.count < right.names.count
            || (left.names.count == right.names.count
                && candidates.firstIndex(of: left.delimiter)! > candidates.firstIndex(of: right.delimiter)!)
    }

    private func detectDelimiterWithoutHeader() throws(FormatError) {
        var best = (delimiter: CSVReader.candidates[0], columns: 1)
        for candidate in CSVReader.candidates {
            setDelimiter(candidate)
            guard let scanned = try scanRecord() else { break }
            let columns = cellBoundsCount / 3
            if columns > best.columns { best = (candidate, columns) }
            position = scanned.absoluteStart - source.windowOffset
            line = scanned.line
            afterCR = false
        }
        setDelimiter(best.delimiter)
    }

    private func setDelimiter(_ value: UInt8) {
        delimiter = value
        stops.initialize(repeating: 0, count: 256)
        stops[Int(value)] |= 1
        for byte in [CSVReader.lf, CSVReader.cr, 0] {
            stops[Int(byte)] |= 3
        }
        stops[Int(CSVReader.quote)] |= 2
    }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace || scalar == "\u{FEFF}"
        }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }

    static func normalized(_ name: String) -> String { trimmed(name).lowercased() }

    static func delimiterName(_ delimiter: UInt8) -> String {
        delimiter == UInt8(ascii: "\t") ? "tabulation" : String(UnicodeScalar(delimiter))
    }

    // MARK: - Splitting records

    private struct ScannedRecord {
        /// Window indexes of the record's bytes, without the terminator; valid until the next scan.
        var start: Int
        var end: Int
        /// File offset of the first byte.
        var absoluteStart: Int
        var line: Int
        var endLine: Int
    }

    private func refill(keepingFrom start: Int, line: Int) throws(FormatError) -> Bool {
        do {
            return try source.refill(keepingFrom: start)
        } catch {
            var located = error
            located.issue.line = located.issue.line ?? line
            throw located
        }
    }

    private func refill(keepingFrom start: Int) throws(FormatError) -> Bool {
        try refill(keepingFrom: start, line: line)
    }

    private func notText(_ line: Int) -> FormatError {
        // ASCII text in UTF-16 has a NUL beside every character: name it rather than calling it binary.
        if TextDecoding.looksLikeUTF16WithoutMark(
            UnsafeBufferPointer(start: source.storage, count: min(source.count, 512)))
        {
            return FormatError(
                .formatError, line: line,
                message:
                    "le fichier semble encodé en UTF-16 sans marque d'ordre d'octets : l'enregistrer en UTF-8 (ou en UTF-16 avec sa marque)"
            )
        }
        return FormatError(.formatError, line: line, message: "le fichier n'est pas un fichier texte CSV")
    }

    /// High bit set in each byte of `word` below 0x0E (NUL, tab, CR, LF …); exact for the lowest one.
    @inline(__always)
    private static func hasControl(_ word: UInt64) -> UInt64 { ByteWord.firstBelow(word, 0x0E) }

    private enum ScanState { case cellStart, unquoted, quoted, quoteInQuoted }

    private func growCellBounds() {
        let grown = UnsafeMutablePointer<Int>.allocate(capacity: cellBoundsCapacity * 2)
        grown.initialize(from: cellBounds, count: cellBoundsCapacity)
        cellBounds.deallocate()
        cellBounds = grown
        cellBoundsCapacity *= 2
    }

    /// Finds the next record's cells (into `cellBounds`).
    ///
    /// One loop over the window with all state in locals; the window is refilled in a single place.
    private func scanRecord() throws(FormatError) -> ScannedRecord? {
        let quote = CSVReader.quote
        let lf = CSVReader.lf
        let cr = CSVReader.cr
        let delimiter = self.delimiter
        let stops = self.stops
        let delimiterWord = ByteWord.repeated(delimiter)
        let quoteWord = ByteWord.repeated(quote)
        var cells = cellBounds
        var cellsCapacity = cellBoundsCapacity
        var used = 0

        var p = source.storage
        var n = source.count
        var i = position
        var line = self.line
        var afterCR = self.afterCR
        defer {
            self.line = line
            self.afterCR = afterCR
            cellBoundsCount = used
        }

        // Blank lines.
        while true {
            if i == n {
                let more = try refill(keepingFrom: i, line: line)
                i = 0
                p = source.storage
                n = source.count
                if !more && n == 0 {
                    position = 0
                    return nil
                }
                continue
            }
            let byte = p[i]
            if byte == lf {
                if afterCR { afterCR = false } else { line += 1 }
                i += 1
            } else if byte == cr {
                line += 1
                afterCR = true
                i += 1
            } else {
                afterCR = false
                break
            }
        }

        var start = i
        let startLine = line
        var cellStart = i
        var quoted = 0
        var quoteLine = line
        var state = ScanState.cellStart

        scan: while true {
            if i == n {
                let shift = start
                let more = try refill(keepingFrom: shift, line: line)
                i -= shift
                cellStart -= shift
                start = 0
                p = source.storage
                n = source.count
                if more { continue }
                switch state {
                case .quoted:
                    throw FormatError(
                        .formatError, line: quoteLine,
                        message:
                            "guillemet non fermé : la cellule entre guillemets ouverte ligne \(quoteLine) "
                            + "n'est jamais refermée")
                case .cellStart:
                    cellStart = i
                    quoted = 0
                case .unquoted, .quoteInQuoted:
                    break
                }
                if used + 3 > cellsCapacity {
                    growCellBounds()
                    cells = cellBounds
                    cellsCapacity = cellBoundsCapacity
                }
                cells[used] = cellStart - start
                cells[used + 1] = i - start
                cells[used + 2] = quoted
                used += 3
                break scan
            }
            switch state {
            case .cellStart:
                cellStart = i
                if p[i] == quote {
                    quoted = 1
                    quoteLine = line
                    i += 1
                    state = .quoted
                } else {
                    quoted = 0
                    state = .unquoted
                }
            case .unquoted:
                // Consecutive unquoted cells stay in this loop; the outer one handles refills and quotes.
                while true {
                    // Eight bytes at a time up to the first separator or byte below 0x0E (CR, LF, NUL; a tab
                    // inside a cell is passed over by the byte loop), then byte by byte.
                    while i + 8 <= n {
                        let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                        let found = ByteWord.firstEqual(word, delimiterWord) | CSVReader.hasControl(word)
                        if found != 0 {
                            i += found.trailingZeroBitCount >> 3
                            break
                        }
                        i += 8
                    }
                    while i < n && stops[Int(p[i])] & 1 == 0 { i += 1 }
                    if i == n { continue scan }
                    if used + 3 > cellsCapacity {
                        growCellBounds()
                        cells = cellBounds
                        cellsCapacity = cellBoundsCapacity
                    }
                    cells[used] = cellStart - start
                    cells[used + 1] = i - start
                    cells[used + 2] = quoted
                    used += 3
                    let byte = p[i]
                    i += 1
                    if byte == delimiter {
                        if i < n && p[i] != quote {
                            cellStart = i
                            quoted = 0
                            continue
                        }
                        state = .cellStart
                        continue scan
                    }
                    if byte == cr {
                        afterCR = true
                    } else if byte != lf {
                        throw notText(line)
                    }
                    position = i
                    line += 1
                    return ScannedRecord(
                        start: start, end: i - 1, absoluteStart: source.windowOffset + start, line: startLine,
                        endLine: line - 1)
                }
            case .quoted:
                while i + 8 <= n {
                    let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                    let found = ByteWord.firstEqual(word, quoteWord) | CSVReader.hasControl(word)
                    if found != 0 {
                        i += found.trailingZeroBitCount >> 3
                        break
                    }
                    i += 8
                }
                while i < n && stops[Int(p[i])] & 2 == 0 { i += 1 }
                if i == n { continue }
                let byte = p[i]
                if byte == quote {
                    state = .quoteInQuoted
                } else if byte == lf {
                    if p[i - 1] != cr { line += 1 }
                } else if byte == cr {
                    line += 1
                } else {
                    throw notText(line)
                }
                i += 1
            case .quoteInQuoted:
                if p[i] == quote {
                    i += 1
                    state = .quoted
                } else {
                    state = .unquoted
                }
            }
        }
        // End of file without a final line terminator.
        position = i
        return ScannedRecord(
            start: start, end: i, absoluteStart: source.windowOffset + start, line: startLine,
            endLine: line)
    }

    // MARK: - Decoding

    private enum Mode { case utf8, windows1252, latin1 }

    private var mode: Mode {
        switch detectedEncoding {
        case .auto, .utf8: .utf8
        case .windows1252: .windows1252
        case .latin1: .latin1
        }
    }

    /// Decodes a scanned record; `tolerant` (header trials) never changes the reader's encoding state.
    private func decode(_ scanned: ScannedRecord, tolerant: Bool) throws(FormatError) -> CSVRecord {
        try raw(scanned, tolerant: tolerant).decoded()
    }

    /// A scanned record with the encoding its bytes are in; `tolerant` (header trials) never changes the reader's
    /// encoding state.
    private func raw(_ scanned: ScannedRecord, tolerant: Bool) throws(FormatError) -> CSVRawRecord {
        let base = UnsafePointer(source.storage + scanned.start)
        let whole = UnsafeBufferPointer(start: base, count: scanned.end - scanned.start)
        var mode = self.mode
        // Cells split at ASCII bytes, so a record that is valid UTF-8 has valid UTF-8 cells: check it once.
        var plainUTF8: Bool
        if mode != .utf8 {
            let ascii = TextDecoding.asciiPrefix(whole)
            plainUTF8 = ascii == whole.count
            // A single-byte encoding decodes any byte: UTF-8 text would be stored as « Ã© » silently. French text
            // in Latin-1 or Windows-1252 is practically never valid multi-byte UTF-8, so such a record is read as
            // the UTF-8 it certainly is, and the file gets an anomaly naming its first line.
            if !plainUTF8 && TextDecoding.isValidUTF8(whole, from: ascii) {
                plainUTF8 = true
                if !tolerant { utf8UnderSingleByte = Self.counted(utf8UnderSingleByte, line: scanned.line) }
            } else if !plainUTF8 {
                switch TextDecoding.highControls(whole, from: ascii) {
                case .none: break
                case .windows1252:
                    // Bytes 0x80–0x9F are C1 controls in Latin-1, which never occur in partner text: the file is
                    // Windows-1252 (its superset), as exported by Windows tools.
                    if mode == .latin1 {
                        mode = .windows1252
                        if !tolerant { c1UnderLatin1 = Self.counted(c1UnderLatin1, line: scanned.line) }
                    }
                case .undefined(let byte, let offset):
                    if !tolerant { throw undefinedByte(scanned, byte: byte, from: offset) }
                }
            }
        } else if TextDecoding.isValidUTF8(whole) {
            plainUTF8 = true
            if !tolerant && !sawMultibyteUTF8 && !TextDecoding.isASCII(whole) { sawMultibyteUTF8 = true }
        } else {
            plainUTF8 = false
            mode = .windows1252
            if !tolerant {
                let invalid = firstInvalidCell(scanned)
                if options.encoding == .utf8 {
                    throw invalidUTF8(scanned, cell: invalid.cell, from: invalid.from)
                }
                if case .undefined(let byte, let offset) = TextDecoding.highControls(whole, from: 0) {
                    throw undefinedByte(scanned, byte: byte, from: offset)
                }
                switchToWindows1252(
                    at: invalidLine(scanned, from: invalid.from), multibyteInRecord: invalid.multibyteBefore)
            }
        }
        let encoding: TextEncoding =
            plainUTF8 ? .utf8 : (mode == .latin1 ? .latin1 : .windows1252)
        return CSVRawRecord(
            bytes: whole, bounds: UnsafePointer(cellBounds), cellCount: cellBoundsCount / 3, line: scanned.line,
            endLine: scanned.endLine, encoding: encoding)
    }

    /// The first cell of a record that is not valid UTF-8, and whether valid multi-byte UTF-8 came before it.
    private func firstInvalidCell(_ scanned: ScannedRecord) -> (cell: Int, from: Int, multibyteBefore: Bool) {
        let base = UnsafePointer(source.storage + scanned.start)
        var multibyte = false
        for cell in 0..<cellBoundsCount / 3 {
            let from = cellBounds[3 * cell]
            let bytes = UnsafeBufferPointer(start: base + from, count: cellBounds[3 * cell + 1] - from)
            if !TextDecoding.isValidUTF8(bytes) { return (cell, from, multibyte) }
            if !TextDecoding.isASCII(bytes) { multibyte = true }
        }
        return (0, 0, multibyte)
    }

    /// Physical line of the byte `from` bytes into a scanned record.
    private func invalidLine(_ scanned: ScannedRecord, from: Int) -> Int {
        let base = source.storage + scanned.start
        var breaks = 0
        for index in 0..<from {
            let byte = base[index]
            if byte == CSVReader.cr || (byte == CSVReader.lf && (index == 0 || base[index - 1] != CSVReader.cr)) {
                breaks += 1
            }
        }
        return scanned.line + breaks
    }

    private func invalidUTF8(_ scanned: ScannedRecord, cell: Int, from: Int) -> FormatError {
        let line = invalidLine(scanned, from: from)
        let column = cell < header.count ? header[cell] : "n° \(cell + 1)"
        return FormatError(
            issue: ValidationIssue(
                type: .formatError, line: line, path: column,
                message:
                    "texte invalide en UTF-8 ligne \(line) (colonne « \(column) ») : le fichier doit être encodé en UTF-8"
            ))
    }

    /// A byte that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): no reading of the file is certain.
    private func undefinedByte(_ scanned: ScannedRecord, byte: UInt8, from offset: Int) -> FormatError {
        let line = invalidLine(scanned, from: offset)
        let hex = String(byte, radix: 16, uppercase: true)
        return FormatError(
            issue: ValidationIssue(
                type: .formatError, line: line,
                message:
                    "octet 0x\(hex) ligne \(line) : il n'a de sens ni en \(options.encoding == .latin1 ? "ISO-8859-1" : "Windows-1252") "
                    + "ni en UTF-8 ; le fichier n'est pas dans l'encodage attendu, il doit être renvoyé correctement encodé"
            ))
    }

    /// A count of lines with their first one.
    private static func counted(_ seen: (first: Int, count: Int)?, line: Int) -> (first: Int, count: Int) {
        (seen?.first ?? line, (seen?.count ?? 0) + 1)
    }

    private func switchToWindows1252(at line: Int, multibyteInRecord: Bool) {
        detectedEncoding = .windows1252
        guard sawMultibyteUTF8 || multibyteInRecord else { return }
        switchWarnings.append(
            ValidationIssue(
                type: .formatError, line: line,
                message:
                    "encodage mixte : texte UTF-8 avant la ligne \(line), puis des caractères non UTF-8 ; "
                    + "les enregistrements qui ne sont pas en UTF-8 sont lus en Windows-1252",
                check: .encodingMismatch))
    }
}

/// One record as the reader scanned it: its bytes, its cells' bounds and the encoding they are in. It points into
/// the reader's buffers: valid until the next read.
public struct CSVRawRecord {
    /// The record's bytes, without its line terminator.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// (start, end, quoted) of each cell, relative to `bytes`.
    let bounds: UnsafePointer<Int>
    public let cellCount: Int
    public let line: Int
    public let endLine: Int
    /// How the bytes read as text: `.utf8` (valid UTF-8, ASCII included), `.latin1` or `.windows1252`.
    public let encoding: TextEncoding

    /// The bytes of cell `index` as they are in the file (with its quotes when quoted).
    @inline(__always)
    public func cell(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let from = bounds[3 * index]
        return UnsafeBufferPointer(rebasing: bytes[from..<bounds[3 * index + 1]])
    }

    /// Whether cell `index` is between quotes (its text differs from its bytes).
    @inline(__always)
    public func isQuoted(_ index: Int) -> Bool { bounds[3 * index + 2] != 0 }

    /// The record as text: what `CSVReader.next()` gives.
    public func decoded() -> CSVRecord {
        var fields: [String] = []
        fields.reserveCapacity(cellCount)
        var scratch: [UInt8] = []
        for index in 0..<cellCount {
            let bytes = cell(index)
            if isQuoted(index) {
                CSVRawRecord.unquote(bytes, into: &scratch)
                fields.append(scratch.withUnsafeBufferPointer(text))
            } else {
                fields.append(text(bytes))
            }
        }
        return CSVRecord(fields: fields, line: line, endLine: endLine, raw: text(bytes))
    }

    /// Bytes of this record (an unquoted cell, or a part of one) as text, in the record's encoding.
    public func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        switch encoding {
        case .latin1: TextDecoding.latin1(bytes)
        case .windows1252: TextDecoding.windows1252(bytes)
        default: TextDecoding.string(validUTF8: bytes)
        }
    }

    /// The bytes of a quoted cell without its quotes and with `""` made `"`; text after the closing quote is kept.
    static func unquote(_ cell: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let quote = UInt8(ascii: "\"")
        out.removeAll(keepingCapacity: true)
        var index = 1
        var inQuotes = true
        while index < cell.count {
            let byte = cell[index]
            if inQuotes && byte == quote {
                if index + 1 < cell.count && cell[index + 1] == quote {
                    out.append(quote)
                    index += 2
                } else {
                    inQuotes = false
                    index += 1
                }
                continue
            }
            out.append(byte)
            index += 1
        }
    }
}

/// One task owns a CSV reader; it is not shared across tasks.
@available(*, unavailable)
extension CSVReader: Sendable {}
