/// A ROME code (Répertoire opérationnel des métiers et des emplois), validated.
///
/// A letter from A to N (the domain) then 4 digits: `K2204`. Surrounding spaces are trimmed and the
/// letter upper-cased. The code is not checked against the list of job sheets.
public struct ROMECode: ValidatedIdentifier {
    /// The 5-character code.
    public var canonical: String { characters.string }
    /// The same, held inline: a code holds no reference, so the records that hold one copy as plain bytes.
    let characters: InlineASCII

    /// The professional domain: the letter (`K` for `K2204`).
    public var domain: String { String(decoding: canonical.utf8.prefix(1), as: UTF8.self) }
    /// The professional family: the first 3 characters (`K22` for `K2204`).
    public var family: String { String(decoding: canonical.utf8.prefix(3), as: UTF8.self) }

    /// The canonical code.
    public var description: String { canonical }

    /// Validates a ROME code.
    public init(validating raw: String) throws(IdentifierError) {
        let result = RawText.withNormalised(raw, capacity: 5, stripSeparators: false) {
            bytes, count -> Result<InlineASCII, IdentifierError> in
            func failure(_ type: IssueType, _ message: String) -> Result<InlineASCII, IdentifierError> {
                .failure(IdentifierError(type: type, message: message, maskedValue: RawText.plain(raw)))
            }
            if count == 0 {
                return .failure(IdentifierError(type: .missingCell, message: "Code ROME absent"))
            }
            guard count == 5 else {
                return failure(
                    .typeError,
                    "Le code ROME doit compter 5 caractères, une lettre puis 4 chiffres (K2204) : "
                        + RawText.received(count))
            }
            let refused = RawText.firstRefused(bytes) { byte, index in
                index == 0 ? RawText.isUpperLetter(byte) : RawText.isDigit(byte)
            }
            if let position = refused {
                return failure(
                    .typeError,
                    "Caractère non autorisé dans le code ROME en position \(position) : "
                        + (position == 1 ? "lettre attendue" : "chiffre attendu"))
            }
            guard bytes[0] <= 0x4E else {
                return failure(
                    .constraintError, "Code ROME invalide : le domaine doit être une lettre de A à N")
            }
            return .success(InlineASCII(UnsafeBufferPointer(rebasing: bytes[0..<5])))
        }
        characters = try result.get()
    }
}
