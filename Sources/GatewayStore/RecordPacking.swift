import CLZ4
import Foundation

/// Each CNAF household's record is kept compressed (LZ4 block, after its length as 4 bytes little-endian): about
/// two fifths of its size, at close to a gigabyte a second, so that keeping every element of a 400 MB file costs the
/// store, its WAL and its checkpoint 160 MB, not 400, and the import thread half a second. The same bytes always give
/// the same packed bytes, so an unchanged record is not rewritten.
final class RecordPacker {
    private var output: [UInt8] = []

    /// Compresses `bytes` and hands the packed bytes to `body` (valid only during the call).
    func pack<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows
        -> Result
    {
        precondition(bytes.count <= Int(LZ4_MAX_INPUT_SIZE), "a record over LZ4's limit")
        let bound = 4 + Int(LZ4_compressBound(CInt(bytes.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: max(bound, 1 << 16)) }
        let written = output.withUnsafeMutableBytes { out -> Int in
            out.storeBytes(of: UInt32(bytes.count).littleEndian, as: UInt32.self)
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return 4 }
            let target = out.baseAddress!.advanced(by: 4)
            let size = LZ4_compress_default(
                source.assumingMemoryBound(to: CChar.self), target.assumingMemoryBound(to: CChar.self),
                CInt(bytes.count), CInt(out.count - 4))
            precondition(size > 0, "LZ4 had room for the whole record")
            return 4 + Int(size)
        }
        return try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<written])) }
    }

    /// The record `pack` was given, as text; nil when the bytes are not what `pack` writes.
    static func unpack(_ packed: Data) -> String? {
        guard packed.count >= 4 else { return nil }
        return packed.withUnsafeBytes { input -> String? in
            let length = Int(UInt32(littleEndian: input.loadUnaligned(as: UInt32.self)))
            guard length <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
            if length == 0 { return input.count == 4 ? "" : nil }
            let text = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                let read = LZ4_decompress_safe(
                    input.baseAddress!.advanced(by: 4).assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                    CInt(input.count - 4), CInt(length))
                count = read == CInt(length) ? length : 0
            }
            return text.count == length ? String(decoding: text, as: UTF8.self) : nil
        }
    }
}
