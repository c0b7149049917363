/// The one normalisation of names used for matching: upper case, no accents, no hyphens or apostrophes,
/// single spaces.
public enum NameNormalisation {
    /// Normalised matching key of a surname or first name.
    public static func key(_ name: String) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(name.utf8.count)
        var pendingSpace = false
        func add(_ bytes: some Sequence<UInt8>) {
            if pendingSpace {
                result.append(0x20)
                pendingSpace = false
            }
            result.append(contentsOf: bytes)
        }
        for scalar in name.unicodeScalars {
            // ASCII, most names: upper-cased in place (the separators are all ASCII but "’").
            if scalar.isASCII {
                let byte = UInt8(scalar.value)
                switch byte {
                case 0x20, 0x2D, 0x27, 0x2E, 0x09: pendingSpace = !result.isEmpty
                case 0x61...0x7A: add(CollectionOfOne(byte - 0x20))
                default: add(CollectionOfOne(byte))
                }
                continue
            }
            for char in fold(scalar) {
                if char == " " || char == "-" || char == "'" || char == "’" || char == "." {
                    pendingSpace = !result.isEmpty
                    continue
                }
                add(char.utf8)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func fold(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "à", "á", "â", "ã", "ä", "å", "À", "Á", "Â", "Ã", "Ä", "Å": return "A"
        case "ç", "Ç": return "C"
        case "è", "é", "ê", "ë", "È", "É", "Ê", "Ë": return "E"
        case "ì", "í", "î", "ï", "Ì", "Í", "Î", "Ï": return "I"
        case "ñ", "Ñ": return "N"
        case "ò", "ó", "ô", "õ", "ö", "Ò", "Ó", "Ô", "Õ", "Ö", "ø", "Ø": return "O"
        case "ù", "ú", "û", "ü", "Ù", "Ú", "Û", "Ü": return "U"
        case "ý", "ÿ", "Ý", "Ÿ": return "Y"
        case "œ", "Œ": return "OE"
        case "æ", "Æ": return "AE"
        case "ß": return "SS"
        case "\t": return " "
        default: return String(scalar).uppercased()
        }
    }
}
