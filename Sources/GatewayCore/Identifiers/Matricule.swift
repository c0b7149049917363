/// A CAF or MSA "numéro allocataire" (`MATRICULE`), validated and normalised.
///
/// Digits only, up to 15, surrounding spaces trimmed. Normalisation, applied in this order:
/// 1. when longer than 7 digits and every digit after the 7th is 0, only the first 7 are kept
///    (files right-pad a 7-digit number with zeros to 15 digits: `2055990` then eight zeros is `2055990`);
/// 2. leading zeros are stripped (`0012345` is `12345`).
///
/// Rule 1 cannot tell a padded number from a longer one that happens to end in zeros (`20559900`
/// also gives `2055990`): it is applied as the partners' convention states it.
/// A matricule of zeros only is refused.
///
/// A matricule identifies a household only within its organisme: match on (matricule, organisme).
public struct Matricule: ValidatedIdentifier {
    /// The normalised digits, without padding or leading zeros.
    public var canonical: String { characters.string }
    /// The same, held inline: a matricule holds no reference, so the records that hold one copy as plain bytes.
    let characters: InlineASCII

    /// The canonical digits.
    public var description: String { canonical }
    /// The matricule with only its last 3 digits visible (`****990`), for logs and notices.
    public var masked: String { Masking.identifier(canonical) }

    /// Validates and normalises a matricule; see the type's documentation.
    public init(validating raw: String) throws(IdentifierError) {
        let result = RawText.withNormalised(raw, capacity: 15, stripSeparators: false) {
            bytes, count -> Result<InlineASCII, IdentifierError> in
            func failure(_ type: IssueType, _ message: String) -> Result<InlineASCII, IdentifierError> {
                .failure(
                    IdentifierError(type: type, message: message, maskedValue: Masking.identifier(raw)))
            }
            if count == 0 {
                return .failure(IdentifierError(type: .missingCell, message: "Matricule absent"))
            }
            let refused = RawText.firstRefused(bytes) { byte, _ in RawText.isDigit(byte) }
            if let position = refused {
                return failure(
                    .typeError,
                    "Le matricule ne doit contenir que des chiffres : caractère non autorisé en position \(position)"
                )
            }
            guard count <= 15 else {
                return failure(.typeError, "Le matricule compte au plus 15 chiffres : \(count) reçus")
            }
            var end = count
            if count > 7, !bytes[7..<count].contains(where: { $0 != 0x30 }) { end = 7 }
            guard let start = bytes[0..<end].firstIndex(where: { $0 != 0x30 }) else {
                return failure(.constraintError, "Matricule invalide : il ne contient que des zéros")
            }
            return .success(InlineASCII(UnsafeBufferPointer(rebasing: bytes[start..<end])))
        }
        characters = try result.get()
    }
}
