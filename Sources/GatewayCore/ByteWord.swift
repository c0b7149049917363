/// Tests on eight bytes at once (a little-endian word): the high bit of each byte that passes is set, exactly. The
/// word-at-a-time constants and tests of the CSV reader, the text decoders, the transforms and the row screen, defined
/// once; `@inlinable`, so that each caller's loop folds them in as constants.
public enum ByteWord {
    /// 0x01 in every byte.
    @inlinable public static var ones: UInt64 { 0x0101_0101_0101_0101 }
    /// The high bit of every byte.
    @inlinable public static var highs: UInt64 { 0x8080_8080_8080_8080 }
    /// Every bit but the high one of every byte.
    @inlinable public static var lows: UInt64 { 0x7F7F_7F7F_7F7F_7F7F }

    /// `byte` in every byte of a word.
    @inlinable @inline(__always)
    public static func repeated(_ byte: UInt8) -> UInt64 { ones &* UInt64(byte) }

    /// Bytes equal to `byte`.
    @inlinable @inline(__always)
    public static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ repeated(byte)
        return ~(((x & lows) &+ lows) | x) & highs
    }

    /// Bytes below `bound` (at most 0x80).
    @inlinable @inline(__always)
    public static func below(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        ~(((word & lows) &+ ones &* UInt64(0x80 - bound)) | word) & highs
    }

    /// Bytes equal to those of `pattern` (a byte repeated): exact for the lowest one only, the others may be false
    /// positives past it. Cheaper than `equal`, for finding the first one.
    @inlinable @inline(__always)
    public static func firstEqual(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let x = word ^ pattern
        return (x &- ones) & ~x & highs
    }

    /// Bytes below `bound` (at most 0x80): exact for the lowest one only, as `firstEqual`.
    @inlinable @inline(__always)
    public static func firstBelow(_ word: UInt64, _ bound: UInt8) -> UInt64 {
        (word &- repeated(bound)) & ~word & highs
    }

    /// Whether every byte of `bytes` is below 0x80, eight at a time.
    @inlinable @inline(__always)
    public static func areASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var index = 0
        var high: UInt64 = 0
        while index < bytes.count {
            let (word, count) = next(base, from: index, to: bytes.count)
            high |= word
            index += count
        }
        return high & highs == 0
    }

    /// The cell's next word from `index` (before `end`): its eight bytes, or its last ones with the others zero
    /// (`partial`), and how many bytes it holds.
    @inlinable @inline(__always)
    public static func next(_ base: UnsafePointer<UInt8>, from index: Int, to end: Int) -> (word: UInt64, count: Int) {
        let count = min(end - index, 8)
        let word =
            count == 8
            ? UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) : partial(base, from: index, to: end)
        return (word, count)
    }

    /// The high bits of the first `count` (1 to 8) bytes.
    @inlinable @inline(__always)
    public static func lanes(_ count: Int) -> UInt64 {
        count == 8 ? highs : highs & (1 << UInt64(8 * count) &- 1)
    }

    /// The bytes from `index` to `end` (fewer than eight, at least one) of the cell starting at `base`, in one word,
    /// the first in the lowest byte and the others zero. It reads no byte before `base` nor from `end` on.
    @inlinable @inline(__always)
    public static func partial(_ base: UnsafePointer<UInt8>, from index: Int, to end: Int) -> UInt64 {
        let count = end - index
        if end >= 8 {
            // The eight bytes that end at `end`, shifted down to the last `count`.
            return UnsafeRawPointer(base + end - 8).loadUnaligned(as: UInt64.self) >> UInt64(64 - 8 * count)
        }
        var word: UInt64 = 0
        var at = index
        var shift: UInt64 = 0
        if count & 4 != 0 {
            word = UInt64(UnsafeRawPointer(base + at).loadUnaligned(as: UInt32.self))
            at += 4
            shift = 32
        }
        if count & 2 != 0 {
            word |= UInt64(UnsafeRawPointer(base + at).loadUnaligned(as: UInt16.self)) << shift
            at += 2
            shift += 16
        }
        if count & 1 != 0 { word |= UInt64(base[at]) << shift }
        return word
    }

    /// ASCII bytes from `low` to `high`; only for a word of ASCII bytes.
    @inlinable @inline(__always)
    public static func between(_ word: UInt64, _ low: UInt8, _ high: UInt8) -> UInt64 {
        (word &+ ones &* UInt64(0x80 - low)) & ~(word &+ ones &* UInt64(0x7F - high)) & highs
    }
}
