/// Masked forms of personal values, for logs, error messages and rejection notices.
///
/// Every function accepts any raw text (valid or not) and never returns more than the documented part of it.
/// Empty or blank input gives an empty string (nothing to hide, and "absent" stays visible).
public enum Masking {
    /// A name reduced to its first letter: `Dupont` gives `D***`.
    public static func name(_ value: String) -> String {
        guard let first = value.first(where: { !$0.isWhitespace }) else { return "" }
        return String(first) + "***"
    }

    /// A canonical field's value as an issue or a page shows it: hidden (`***`) when the field holds personal data
    /// (`FieldSpec.personal`), masked as a NIR when it looks like one (a shifted column), else as it is.
    public static func fieldValue(_ raw: String, personal: Bool) -> String {
        personal ? text(raw) : (looksLikeNIR(raw) ? nir(raw) : raw)
    }

    /// Free text (address, comment, label) hidden entirely: `***`.
    public static func text(_ value: String) -> String {
        value.contains(where: { !$0.isWhitespace }) ? "***" : ""
    }

    /// A raw value from a NIR field, valid or not.
    ///
    /// When it looks like a NIR (12 to 16 characters once spaces and dots are removed, a first digit
    /// 1–8 then two digits), only its first 3 characters (sex and birth year) are kept and every other
    /// character becomes `*`: `1 84 05 67 482 123 86` gives `184************`. Anything else,
    /// such as a name in a shifted column, gives `***`.
    public static func nir(_ raw: String) -> String {
        RawText.withNormalised(raw, capacity: 16, stripSeparators: true) { bytes, count in
            if count == 0 { return "" }
            guard looksLikeNIR(bytes, count: count, lengths: 12...16) else { return "***" }
            return masked(
                keeping: UnsafeBufferPointer(rebasing: bytes[0..<3]), starsBefore: 0, starsAfter: count - 3)
        }
    }

    /// A raw matricule or France Travail id, keeping its last 3 characters: `2055990` gives `****990`.
    ///
    /// Never more than half the value is kept (`1234` gives `**34`). Surrounding whitespace is trimmed
    /// and letters upper-cased; the result has one `*` per hidden character.
    public static func identifier(_ raw: String) -> String {
        RawText.withNormalised(raw, capacity: 40, stripSeparators: false) { bytes, count in
            if count == 0 { return "" }
            let kept = min(3, count / 2)
            guard count <= bytes.count else {
                // Longer than any identifier: the tail was not kept, and a value this long is not one.
                return String(repeating: "*", count: count)
            }
            return masked(
                keeping: UnsafeBufferPointer(rebasing: bytes[(count - kept)..<count]),
                starsBefore: count - kept,
                starsAfter: 0)
        }
    }

    /// Whether `raw`, once spaces and dots are removed, has a NIR's shape: a length in `lengths`,
    /// a first digit 1–8 and two more digits.
    public static func looksLikeNIR(_ raw: String, lengths: ClosedRange<Int> = 12...16) -> Bool {
        RawText.withNormalised(raw, capacity: 3, stripSeparators: true) { bytes, count in
            looksLikeNIR(bytes, count: count, lengths: lengths)
        }
    }

    private static func looksLikeNIR(
        _ bytes: UnsafeBufferPointer<UInt8>, count: Int, lengths: ClosedRange<Int>
    ) -> Bool {
        lengths.contains(count) && bytes.count >= 3 && bytes[0] >= 0x31 && bytes[0] <= 0x38
            && RawText.isDigit(bytes[1]) && RawText.isDigit(bytes[2])
    }

    /// `starsBefore` stars, then `kept`, then `starsAfter` stars, written in one allocation at most.
    private static func masked(
        keeping kept: UnsafeBufferPointer<UInt8>, starsBefore: Int, starsAfter: Int
    ) -> String {
        String(unsafeUninitializedCapacity: starsBefore + kept.count + starsAfter) { output in
            var index = 0
            for _ in 0..<starsBefore {
                output[index] = 0x2A
                index += 1
            }
            for byte in kept {
                output[index] = byte
                index += 1
            }
            for _ in 0..<starsAfter {
                output[index] = 0x2A
                index += 1
            }
            return index
        }
    }
}
