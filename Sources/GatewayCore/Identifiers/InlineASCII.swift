/// Up to 16 ASCII bytes held in the value itself: identifiers keep their text here, so that building, copying,
/// comparing and hashing one never touches the heap or a reference count (a million rows validated per second).
public struct InlineASCII: Sendable, Hashable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    public private(set) var count: UInt8 = 0

    public static let capacity = 16

    /// The characters as two words (zero past `count`), for digests.
    var words: (UInt64, UInt64) { (low, high) }

    /// The first `min(bytes.count, 16)` bytes of `bytes`: from eight bytes on, loaded a word at a time.
    @inline(__always)
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = min(bytes.count, Self.capacity)
        self.count = UInt8(count)
        guard count >= 8, let base = bytes.baseAddress else {
            for index in 0..<count { low |= UInt64(bytes[index]) << UInt64(index << 3) }
            return
        }
        let raw = UnsafeRawPointer(base)
        low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        if count > 8 {
            // The last eight bytes, those already in `low` shifted out.
            high =
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
                >> UInt64((16 - count) << 3)
        }
    }

    /// Characters given as two words (bytes in order from the lowest; zero past `count`).
    @inline(__always)
    init(low: UInt64, high: UInt64, count: Int) {
        self.low = low
        self.high = high
        self.count = UInt8(count)
    }

    /// The first `length` bytes (at most `count`).
    @inline(__always)
    public func prefix(_ length: Int) -> InlineASCII {
        var copy = self
        let length = min(length, Int(count))
        copy.count = UInt8(length)
        if length < 8 {
            copy.low = length == 0 ? 0 : low & (UInt64.max >> UInt64((8 - length) << 3))
            copy.high = 0
        } else if length < 16 {
            copy.high = length == 8 ? 0 : high & (UInt64.max >> UInt64((16 - length) << 3))
        }
        return copy
    }

    @inline(__always)
    public subscript(index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (index < 8 ? low : high) >> UInt64((index & 7) << 3))
    }

    /// The text (a small string: no allocation).
    public var string: String {
        String(unsafeUninitializedCapacity: Int(count)) { buffer in
            for index in 0..<Int(count) { buffer[index] = self[index] }
            return Int(count)
        }
    }
}
