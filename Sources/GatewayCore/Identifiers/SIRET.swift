/// A SIRET (establishment number), validated.
///
/// 14 digits; surrounding and inner spaces and dots are removed (`123 456 789 00012`). The check is
/// Luhn's on the 14 digits, except for La Poste (SIREN `356000000`), whose establishments are also
/// valid when the sum of the 14 digits is a multiple of 5 (its head office, `35600000000048`, passes
/// Luhn). A SIRET of zeros only is refused. The SIREN's own Luhn key is not checked separately.
public struct SIRET: ValidatedIdentifier {
    /// The 14 digits.
    public let canonical: String

    /// The company number: the first 9 digits.
    public var siren: String { String(decoding: canonical.utf8.prefix(9), as: UTF8.self) }
    /// The establishment's number within the company: the last 5 digits.
    public var nic: String { String(decoding: canonical.utf8.suffix(5), as: UTF8.self) }

    /// The canonical SIRET.
    public var description: String { canonical }

    /// Validates a SIRET.
    public init(validating raw: String) throws(IdentifierError) {
        let result = RawText.withNormalised(raw, capacity: 14, stripSeparators: true) {
            bytes, count -> Result<String, IdentifierError> in
            func failure(_ type: IssueType, _ message: String) -> Result<String, IdentifierError> {
                .failure(IdentifierError(type: type, message: message, maskedValue: RawText.plain(raw)))
            }
            if count == 0 {
                return .failure(IdentifierError(type: .missingCell, message: "SIRET absent"))
            }
            guard count == 14 else {
                return failure(.typeError, "Le SIRET doit compter 14 chiffres : \(RawText.received(count))")
            }
            let refused = RawText.firstRefused(bytes) { byte, _ in RawText.isDigit(byte) }
            if let position = refused {
                return failure(
                    .typeError,
                    "Caractère non autorisé dans le SIRET en position \(position) : chiffre attendu")
            }
            var luhn = 0
            var sum = 0
            var isZero = true
            for index in 0..<14 {
                let digit = Int(bytes[index] - 0x30)
                isZero = isZero && digit == 0
                sum += digit
                // From the right, every second digit is doubled: with 14 digits, those at even indices.
                let doubled = index % 2 == 0 ? digit * 2 : digit
                luhn += doubled > 9 ? doubled - 9 : doubled
            }
            if isZero {
                return failure(.constraintError, "SIRET invalide : il ne contient que des zéros")
            }
            let isLaPoste = bytes[0..<9].elementsEqual("356000000".utf8)
            guard luhn % 10 == 0 || (isLaPoste && sum % 5 == 0) else {
                return failure(
                    .constraintError,
                    isLaPoste
                        ? "SIRET de La Poste invalide : la somme de ses chiffres doit être un multiple de 5"
                        : "SIRET invalide : la clé de contrôle (formule de Luhn) est fausse, vérifier la saisie"
                )
            }
            return .success(RawText.string(bytes, 0..<14))
        }
        canonical = try result.get()
    }
}
