import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `write(2)`, named apart from `CSVWriter.write(row:)`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// How to write a CSV file.
public struct CSVWriterOptions: Sendable {
    /// The cell separator.
    public var delimiter: UInt8
    /// `.utf8` (and `.auto`) write UTF-8; `.windows1252` and `.latin1` write `?` for characters they lack.
    public var encoding: TextEncoding
    /// Writes a UTF-8 BOM first so spreadsheets recognise UTF-8; ignored for single-byte encodings.
    public var writeBOM: Bool
    /// Prefixes `'` to cells a spreadsheet would run as a formula (OWASP CSV injection advice).
    public var neutraliseFormulas: Bool
    /// Written after each row.
    public var lineEnding: String

    /// Creates options; the defaults suit French spreadsheet software (`;`, UTF-8 with BOM, CRLF).
    public init(
        delimiter: UInt8 = UInt8(ascii: ";"), encoding: TextEncoding = .utf8, writeBOM: Bool = true,
        neutraliseFormulas: Bool = true, lineEnding: String = "\r\n"
    ) {
        self.delimiter = delimiter
        self.encoding = encoding
        self.writeBOM = writeBOM
        self.neutraliseFormulas = neutraliseFormulas
        self.lineEnding = lineEnding
    }
}

/// A streaming CSV writer: rows go through a 64 KiB buffer to the file, never held all at once.
///
/// A cell is quoted when it contains the separator, a quote, CR or LF, or starts or ends with a space or tab.
/// With `neutraliseFormulas`, a cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so a
/// spreadsheet shows it as text, except a plain negative number such as `-12.5` or `-3,75`.
/// In Windows-1252 or Latin-1, text is first composed (NFC, so `e` + combining acute becomes `é`) and any
/// character the encoding lacks is written as `?`.
/// Call `finish()` to flush; a writer dropped without it flushes what it can and ignores errors.
public final class CSVWriter {
    /// Rows written so far.
    public private(set) var rowCount = 0

    private let handle: FileHandle
    private let ownsHandle: Bool
    private let options: CSVWriterOptions
    private let lineEnding: [UInt8]
    private var output = OutputBuffer(capacity: CSVWriter.bufferSize + 4096)
    private var cell: [UInt8] = []
    private var finished = false

    private static let bufferSize = 65_536

    /// Creates or truncates the file at `path`.
    public convenience init(path: String, options: CSVWriterOptions = CSVWriterOptions()) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CSVWriter.posixError(errno) }
        self.init(
            handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true), options: options,
            ownsHandle: true)
    }

    /// Writes to an open handle such as standard output; `finish()` flushes but does not close it.
    public convenience init(handle: FileHandle, options: CSVWriterOptions = CSVWriterOptions()) {
        self.init(handle: handle, options: options, ownsHandle: false)
    }

    private init(handle: FileHandle, options: CSVWriterOptions, ownsHandle: Bool) {
        self.handle = handle
        self.options = options
        self.ownsHandle = ownsHandle
        lineEnding = Array(options.lineEnding.utf8)
        if options.writeBOM && (options.encoding == .utf8 || options.encoding == .auto) {
            output.append(0xEF)
            output.append(0xBB)
            output.append(0xBF)
        }
    }

    deinit {
        if !finished {
            try? flush()
            if ownsHandle { try? handle.close() }
        }
        output.deallocate()
    }

    /// Appends one row.
    public func write(row: [String]) throws {
        if finished { throw CSVWriter.posixError(EBADF) }
        // Work on local copies: appending to stored properties would pay an exclusivity check each time.
        var output = self.output
        var scratch = cell
        cell = []
        let delimiter = options.delimiter
        let neutralise = options.neutraliseFormulas
        for (index, value) in row.enumerated() {
            if index > 0 { output.append(delimiter) }
            let prefixed = neutralise && CSVWriter.isFormulaLike(value)
            switch options.encoding {
            case .utf8, .auto:
                var text = value
                text.withUTF8 { CSVWriter.append(cell: $0, prefixed: prefixed, delimiter: delimiter, to: &output) }
            case .windows1252, .latin1:
                let composed =
                    value.utf8.contains { $0 >= 0x80 } ? value.precomposedStringWithCanonicalMapping : value
                scratch.removeAll(keepingCapacity: true)
                TextDecoding.append(composed, as: options.encoding, to: &scratch)
                scratch.withUnsafeBufferPointer {
                    CSVWriter.append(cell: $0, prefixed: prefixed, delimiter: delimiter, to: &output)
                }
            }
        }
        lineEnding.withUnsafeBufferPointer { output.append($0) }
        self.output = output
        cell = scratch
        rowCount += 1
        if output.count >= CSVWriter.bufferSize { try flush() }
    }

    /// Flushes the buffer, and closes the file when the writer opened it.
    public func finish() throws {
        if finished { return }
        finished = true
        try flush()
        if ownsHandle { try handle.close() }
    }

    /// Appends an encoded cell, after `'` when `prefixed`, quoted when it must be.
    private static func append(
        cell: UnsafeBufferPointer<UInt8>, prefixed: Bool, delimiter: UInt8, to output: inout OutputBuffer
    ) {
        output.reserve(2 * cell.count + 3)
        let quote = UInt8(ascii: "\"")
        var needsQuotes = false
        if let first = cell.first, let last = cell.last {
            needsQuotes = (!prefixed && isBlank(first)) || isBlank(last)
        }
        if !needsQuotes {
            for byte in cell where byte == delimiter || byte == quote || byte == 0x0A || byte == 0x0D {
                needsQuotes = true
                break
            }
        }
        if needsQuotes { output.append(quote) }
        if prefixed { output.append(UInt8(ascii: "'")) }
        if needsQuotes {
            var start = 0
            for index in 0..<cell.count where cell[index] == quote {
                output.append(UnsafeBufferPointer(rebasing: cell[start...index]))
                output.append(quote)
                start = index + 1
            }
            output.append(UnsafeBufferPointer(rebasing: cell[start...]))
            output.append(quote)
        } else {
            output.append(cell)
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// True for a cell a spreadsheet would evaluate: `=`, `+`, `-`, `@`, tab or CR first, unless a plain `-12.5`.
    static func isFormulaLike(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "@"), 0x09, 0x0D: return true
        case UInt8(ascii: "-"): return !isPlainNegativeNumber(text.utf8.dropFirst())
        default: return false
        }
    }

    /// Digits, optionally one `.` or `,` followed by digits.
    private static func isPlainNegativeNumber(_ digits: Substring.UTF8View) -> Bool {
        var sawDigit = false
        var sawSeparator = false
        var digitAfterSeparator = false
        for byte in digits {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if sawSeparator { digitAfterSeparator = true } else { sawDigit = true }
            } else if (byte == UInt8(ascii: ".") || byte == UInt8(ascii: ",")) && sawDigit && !sawSeparator {
                sawSeparator = true
            } else {
                return false
            }
        }
        return sawDigit && (!sawSeparator || digitAfterSeparator)
    }

    private func flush() throws {
        let descriptor = handle.fileDescriptor
        var offset = 0
        while offset < output.count {
            let written = systemWrite(descriptor, output.base + offset, output.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw CSVWriter.posixError(errno)
            }
            offset += written
        }
        output.count = 0
    }

    private static func posixError(_ code: Int32) -> POSIXError {
        POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }
}

/// The writer's byte buffer: appends without the per-call overhead of `Array`.
struct OutputBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// Makes room for `extra` more bytes.
    mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, count + extra))
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = max(capacity * 2, count + extra)
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    func deallocate() { base.deallocate() }
}

/// One task owns a CSV writer; it is not shared across tasks.
@available(*, unavailable)
extension CSVWriter: Sendable {}
