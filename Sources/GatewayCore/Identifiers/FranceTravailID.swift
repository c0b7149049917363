/// A France Travail (ex Pôle emploi) job-seeker identifier, validated.
///
/// Accepted forms, surrounding spaces trimmed and letters upper-cased:
/// - 8 characters, 7 digits then a digit or letter (`1234567A`), as in the CNAF `IDASSEDIC`;
/// - 11 characters, the same 8 then 3 digits (`1234567A012`), the `identifiantpe` of the enrolment
///   CSV (`^[0-9]{7}[A-Z0-9][0-9]{3}$`), which includes the new 11-digit form.
public struct FranceTravailID: ValidatedIdentifier {
    /// The identifier in the form it was given (8 or 11 characters), upper-cased.
    public var canonical: String { characters.string }
    /// The characters of `canonical`, held inline.
    let characters: InlineASCII

    /// The first 8 characters, to match people across partners.
    ///
    /// In the old enrolment CSV the 3 trailing digits of the 11-character form are a suffix
    /// (the agency or structure) appended to the 8-character identifier the CNAF files carry: both
    /// name the same job seeker. Matching on 11-digit new-form ids therefore also ignores their last
    /// 3 digits; the matching cascade refuses on conflict, so a collision is reported, not merged.
    public var matchingKey: String {
        canonical.utf8.count == 8
            ? canonical : String(decoding: canonical.utf8.prefix(8), as: UTF8.self)
    }

    /// The canonical identifier.
    public var description: String { canonical }
    /// The identifier with only its last 3 characters visible, for logs and notices.
    public var masked: String { Masking.identifier(canonical) }

    /// Validates a France Travail identifier; see the type's documentation.
    public init(validating raw: String) throws(IdentifierError) {
        characters = try RawText.parsed(raw, capacity: 11, Self.parse)
    }

    public init?(validUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        guard let characters = RawText.parsed(utf8: utf8, capacity: 11, Self.parse) else { return nil }
        self.characters = characters
    }

    /// The characters of normalised bytes (`count` characters before truncation), or why they are refused.
    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, _ count: Int, _ raw: () -> String
    ) -> Result<InlineASCII, IdentifierError> {
        func failure(_ type: IssueType, _ message: String) -> Result<InlineASCII, IdentifierError> {
            .failure(
                IdentifierError(type: type, message: message, maskedValue: Masking.identifier(raw())))
        }
        if count == 0 {
            return .failure(
                IdentifierError(type: .missingCell, message: "Identifiant France Travail absent"))
        }
        guard count == 8 || count == 11 else {
            return failure(
                .typeError,
                "L'identifiant France Travail doit compter 8 caractères (7 chiffres puis un chiffre ou une "
                    + "lettre) ou 11 (les mêmes suivis de 3 chiffres) : \(RawText.received(count))")
        }
        // The usual identifier, checked eight bytes at a time: the eighth character (a digit or a letter) stood in
        // for by a digit in the words.
        let eighth = bytes[7]
        let plain =
            (RawText.isDigit(eighth) || RawText.isUpperLetter(eighth))
            && RawText.areDigits(RawText.word(bytes, at: 0) & 0x00FF_FFFF_FFFF_FFFF | 0x30 << 56)
            && (count == 8 || RawText.areDigits(RawText.word(bytes, at: 3) & 0xFFFF_FF00_FFFF_FFFF | 0x30 << 32))
        let refused =
            plain
            ? nil
            : RawText.firstRefused(bytes) { byte, index in
                RawText.isDigit(byte) || (index == 7 && RawText.isUpperLetter(byte))
            }
        if let position = refused {
            return failure(
                .typeError,
                "Caractère non autorisé dans l'identifiant France Travail en position \(position) : "
                    + (position == 8 ? "chiffre ou lettre attendu" : "chiffre attendu"))
        }
        guard RawText.word(bytes, at: 0) & 0x00FF_FFFF_FFFF_FFFF != 0x0030_3030_3030_3030 else {
            return failure(
                .constraintError,
                "Identifiant France Travail invalide : ses 7 premiers chiffres sont des zéros")
        }
        return .success(InlineASCII(UnsafeBufferPointer(rebasing: bytes[0..<count])))
    }
}
