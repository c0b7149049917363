#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file by 64 KiB chunks into a sliding window, so a parser can hold a record however the chunks cut it.
///
/// The window is `storage[0..<count]`. A parser scans it in place and, when it runs out of bytes, calls
/// `refill(keepingFrom:)` with the start of the bytes it still needs (the current record): they move to the
/// front and the next chunk is appended after them. Memory stays at two chunks plus the longest record; the
/// window never grows past `maximumWindow`, so a runaway record (an unclosed quote in a 2 GB file) is an error
/// instead of a file held in memory.
public final class ByteReader {
    /// Size of each `read(2)`.
    public static let chunkSize = 65_536
    /// Longest record a parser may hold by default (64 MiB).
    public static let defaultMaximumWindow = 64 << 20

    // The parsers read these three once or twice per record; a reader belongs to one task (it is not
    // Sendable), so the runtime exclusivity checks, about 5 % of a CSV read, guard nothing.

    /// First byte of the window; valid until the next `refill(keepingFrom:)`.
    @exclusivity(unchecked) public private(set) var storage: UnsafeMutablePointer<UInt8>
    /// Number of valid bytes in the window.
    @exclusivity(unchecked) public private(set) var count = 0
    /// Offset in the file of `storage[0]`.
    @exclusivity(unchecked) public private(set) var windowOffset = 0
    /// True once the end of the input has been read into the window.
    public private(set) var isAtEnd: Bool
    /// Size of the file when it is a regular file, for progress display; nil for a pipe.
    public let fileSize: Int?

    private var capacity: Int
    private var descriptor: Int32
    /// False when the window is memory this reader was lent (`init(borrowing:)`): never written, never freed.
    private let ownsStorage: Bool
    private let chunkSize: Int
    private let maximumWindow: Int

    /// Bytes read from the input so far (the end of the window).
    public var bytesConsumed: Int { windowOffset + count }

    /// The byte order of a file that began with a UTF-16 byte order mark: it is served transcoded into UTF-8 (the
    /// mark dropped), so the parsers read UTF-8 whatever the file; window offsets then count UTF-8 bytes.
    public private(set) var utf16: UTF16Order?
    public enum UTF16Order: Sendable { case littleEndian, bigEndian }
    /// The file's first bytes were looked at for a UTF-16 byte order mark.
    private var sniffed = false
    /// Raw UTF-16 bytes read but not yet transcoded (an odd byte, a high surrogate waiting for its pair).
    private var pendingUTF16: [UInt8] = []
    /// Bytes ready to serve before reading on: the first bytes looked at, or UTF-8 transcoded from UTF-16.
    private var queued: [UInt8] = []
    private var queuedStart = 0

    /// Opens `path` for reading; the first chunk is read on the first `refill(keepingFrom:)`.
    public init(
        path: String, chunkSize: Int = ByteReader.chunkSize,
        maximumWindow: Int = ByteReader.defaultMaximumWindow
    ) throws(FormatError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ByteReader.ioError(errno, opening: true) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FormatError(.formatError, message: "le chemin désigne un dossier, pas un fichier")
        }
        let isRegular = (info.st_mode & S_IFMT) == S_IFREG
        fileSize = isRegular ? Int(info.st_size) : nil
        descriptor = fd
        self.chunkSize = max(chunkSize, 1)
        self.maximumWindow = max(maximumWindow, 2 * self.chunkSize)
        capacity = 2 * self.chunkSize
        storage = .allocate(capacity: capacity)
        isAtEnd = false
        ownsStorage = true
    }

    /// Serves bytes that stay owned by the caller and must outlive the reader (a part of another reader's window
    /// read on another thread). They are never copied nor written: a refill only moves the window's start.
    public init(borrowing bytes: UnsafeBufferPointer<UInt8>) {
        sniffed = true
        descriptor = -1
        chunkSize = ByteReader.chunkSize
        maximumWindow = Int.max
        capacity = bytes.count
        storage = UnsafeMutablePointer(mutating: bytes.baseAddress ?? UnsafePointer(ByteReader.empty))
        count = bytes.count
        fileSize = bytes.count
        isAtEnd = true
        ownsStorage = false
    }

    /// Where an empty borrowed window points: never read.
    nonisolated(unsafe) private static let empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

    /// Serves `bytes` from memory, for tests and small inputs (UTF-16 with its byte order mark served as UTF-8).
    public init(bytes original: [UInt8]) {
        var bytes = original
        if let order = Self.utf16Order(original[...]) {
            var raw = Array(original.dropFirst(2))
            var out: [UInt8] = []
            // An invalid tail is kept as it is: the parser then meets NUL bytes and says the file is not text.
            if (try? Self.transcode(&raw, order, into: &out)) != nil, raw.isEmpty {
                bytes = out
                utf16 = order
            }
        }
        sniffed = true
        descriptor = -1
        chunkSize = ByteReader.chunkSize
        maximumWindow = Int.max
        capacity = max(bytes.count, 1)
        let window = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { window.initialize(from: base, count: source.count) }
        }
        storage = window
        count = bytes.count
        fileSize = bytes.count
        isAtEnd = true
        ownsStorage = true
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if ownsStorage { storage.deallocate() }
    }

    /// Drops the bytes before `start`, moves the rest to the front and appends the next chunk.
    ///
    /// Returns false when nothing was added (end of input). Indexes into the window shift down by `start`.
    public func refill(keepingFrom start: Int) throws(FormatError) -> Bool {
        precondition(start >= 0 && start <= count, "refill start outside the window")
        let kept = count - start
        if !ownsStorage {
            storage += start
            windowOffset += start
            count = kept
            return false
        }
        if start > 0 {
            if kept > 0 { storage.update(from: storage + start, count: kept) }
            windowOffset += start
            count = kept
        }
        if isAtEnd { return false }
        if capacity - count < chunkSize {
            let needed = count + chunkSize
            if needed > maximumWindow {
                throw FormatError(
                    .formatError,
                    message:
                        "enregistrement trop long (plus de \(maximumWindow >> 20) Mio sans fin d'enregistrement)")
            }
            let newCapacity = min(max(capacity * 2, needed), maximumWindow)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.initialize(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
        while true {
            let got = try readChunk(into: storage + count)
            if got > 0 {
                count += got
                return true
            }
            if got == 0 {
                isAtEnd = true
                close(descriptor)
                descriptor = -1
                return false
            }
            if errno == EINTR { continue }
            throw ByteReader.ioError(errno, opening: false)
        }
    }

    /// Reads the next chunk of the file into `target` (room for `chunkSize` bytes): as it is, or transcoded from
    /// UTF-16 into UTF-8 when the file began with a UTF-16 byte order mark.
    private func readChunk(into target: UnsafeMutablePointer<UInt8>) throws(FormatError) -> Int {
        if !sniffed {
            sniffed = true
            let head = UnsafeMutablePointer<UInt8>.allocate(capacity: 2)
            defer { head.deallocate() }
            var got = 0
            while got < 2 {
                let more = try readChunk(into: head + got, limit: 2 - got)
                if more == 0 { break }
                got += more
            }
            let first = Array(UnsafeBufferPointer(start: head, count: got))
            utf16 = Self.utf16Order(first[...])
            if utf16 == nil { queued = first }
        }
        while queuedStart == queued.count {
            queued.removeAll(keepingCapacity: true)
            queuedStart = 0
            guard let order = utf16 else { return try readChunk(into: target, limit: chunkSize) }
            let size = max(chunkSize & ~1, 2)
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let got = try readChunk(into: buffer, limit: size)
            if got == 0 {
                guard pendingUTF16.isEmpty else { throw Self.invalidUTF16() }
                return 0
            }
            pendingUTF16 += UnsafeBufferPointer(start: buffer, count: got)
            try Self.transcode(&pendingUTF16, order, into: &queued)
        }
        let served = min(chunkSize, queued.count - queuedStart)
        queued.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + queuedStart, count: served) }
        queuedStart += served
        return served
    }

    /// The byte order a UTF-16 byte order mark at the start of a file gives, if there is one.
    static func utf16Order(_ head: ArraySlice<UInt8>) -> UTF16Order? {
        guard head.count >= 2 else { return nil }
        let (first, second) = (head[head.startIndex], head[head.startIndex + 1])
        if first == 0xFF && second == 0xFE { return .littleEndian }
        if first == 0xFE && second == 0xFF { return .bigEndian }
        return nil
    }

    /// Transcodes the complete UTF-16 units of `raw` into UTF-8 appended to `out`, leaving in `raw` what waits for
    /// more bytes (an odd byte, a high surrogate).
    static func transcode(_ raw: inout [UInt8], _ order: UTF16Order, into out: inout [UInt8]) throws(FormatError) {
        func unit(_ at: Int) -> UInt16 {
            order == .littleEndian
                ? UInt16(raw[at]) | UInt16(raw[at + 1]) << 8 : UInt16(raw[at]) << 8 | UInt16(raw[at + 1])
        }
        var index = 0
        while index + 1 < raw.count {
            let first = unit(index)
            let scalar: Unicode.Scalar
            if (0xD800...0xDBFF).contains(first) {
                guard index + 3 < raw.count else { break }
                let second = unit(index + 2)
                guard (0xDC00...0xDFFF).contains(second) else { throw invalidUTF16() }
                scalar = Unicode.Scalar(0x10000 + (UInt32(first - 0xD800) << 10 | UInt32(second - 0xDC00)))!
                index += 4
            } else if (0xDC00...0xDFFF).contains(first) {
                throw invalidUTF16()
            } else {
                scalar = Unicode.Scalar(first)!
                index += 2
            }
            out.append(contentsOf: UTF8.encode(scalar)!)
        }
        raw.removeFirst(index)
    }

    private func readChunk(into target: UnsafeMutablePointer<UInt8>, limit: Int) throws(FormatError) -> Int {
        while true {
            let got = read(descriptor, target, limit)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            throw ByteReader.ioError(errno, opening: false)
        }
    }

    private static func invalidUTF16() -> FormatError {
        FormatError(
            .formatError,
            message: "le fichier annonce UTF-16 (marque d'ordre d'octets) mais contient une suite UTF-16 invalide")
    }

    private static func ioError(_ code: Int32, opening: Bool) -> FormatError {
        let reason: String
        switch code {
        case ENOENT: reason = "fichier introuvable"
        case EACCES, EPERM: reason = "accès au fichier refusé"
        case EISDIR: reason = "le chemin désigne un dossier, pas un fichier"
        default:
            reason = opening ? "impossible d'ouvrir le fichier (errno \(code))" : "erreur de lecture (errno \(code))"
        }
        return FormatError(.formatError, message: reason)
    }
}

/// One task owns a byte reader; it is not shared across tasks.
@available(*, unavailable)
extension ByteReader: Sendable {}
