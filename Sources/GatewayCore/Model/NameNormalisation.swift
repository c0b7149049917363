/// The one normalisation of names used for matching: upper case, no accents, no hyphens or apostrophes,
/// single spaces.
public enum NameNormalisation {
    /// Normalised matching key of a surname or first name.
    public static func key(_ name: String) -> String {
        var result = ""
        result.reserveCapacity(name.utf8.count)
        var pendingSpace = false
        for scalar in name.unicodeScalars {
            let folded = fold(scalar)
            for char in folded {
                if char == " " || char == "-" || char == "'" || char == "’" || char == "." {
                    pendingSpace = !result.isEmpty
                    continue
                }
                if pendingSpace {
                    result.append(" ")
                    pendingSpace = false
                }
                result.append(char)
            }
        }
        return result
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
