/// A French postal code, validated: 5 digits, surrounding spaces trimmed, not starting with `00`.
///
/// The code is not checked against La Poste's list.
public struct PostalCode: ValidatedIdentifier {
    /// The 5 digits.
    public let canonical: String

    /// The canonical code.
    public var description: String { canonical }

    /// Validates a postal code.
    public init(validating raw: String) throws(IdentifierError) {
        let result = RawText.withNormalised(raw, capacity: 5, stripSeparators: false) {
            bytes, count -> Result<String, IdentifierError> in
            func failure(_ type: IssueType, _ message: String) -> Result<String, IdentifierError> {
                .failure(IdentifierError(type: type, message: message, maskedValue: RawText.plain(raw)))
            }
            if count == 0 {
                return .failure(IdentifierError(type: .missingCell, message: "Code postal absent"))
            }
            guard count == 5 else {
                return failure(
                    .typeError, "Le code postal doit compter 5 chiffres : \(RawText.received(count))")
            }
            let refused = RawText.firstRefused(bytes) { byte, _ in RawText.isDigit(byte) }
            if let position = refused {
                return failure(
                    .typeError,
                    "Caractère non autorisé dans le code postal en position \(position) : chiffre attendu")
            }
            guard bytes[0] != 0x30 || bytes[1] != 0x30 else {
                return failure(
                    .constraintError, "Code postal invalide : aucun code postal ne commence par 00")
            }
            return .success(RawText.string(bytes, 0..<5))
        }
        canonical = try result.get()
    }
}
