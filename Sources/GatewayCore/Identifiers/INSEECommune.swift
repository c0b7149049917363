/// An INSEE commune code (code officiel géographique), validated.
///
/// 5 characters, surrounding spaces trimmed and letters upper-cased: 5 digits (`67482`), or `2A`/`2B`
/// then 3 digits for Corsica (`2A004`). Codes starting with `00` are refused. The code is not checked
/// against the list of communes; `20xxx` (Corsica before 1976, or a postal code in the wrong
/// column) is accepted, with département `20`.
public struct INSEECommune: ValidatedIdentifier {
    /// The 5-character code.
    public var canonical: String { characters.string }
    /// The characters of `canonical`, held inline.
    let characters: InlineASCII

    /// The département: the first 2 characters (`67`, `2A`), or 3 overseas (`971` for `97105`,
    /// `988` for `98818`). Codes `99xxx` (born abroad, by country) give `99`.
    public var departement: String {
        let utf8 = canonical.utf8
        let overseas =
            utf8.first == 0x39 && (utf8.dropFirst().first == 0x37 || utf8.dropFirst().first == 0x38)
        return String(decoding: utf8.prefix(overseas ? 3 : 2), as: UTF8.self)
    }

    /// The canonical code.
    public var description: String { canonical }

    /// Validates an INSEE commune code; see the type's documentation.
    public init(validating raw: String) throws(IdentifierError) {
        characters = try RawText.parsed(raw, capacity: 5, Self.parse)
    }

    public init?(validUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        guard let characters = RawText.parsed(utf8: utf8, capacity: 5, Self.parse) else { return nil }
        self.characters = characters
    }

    /// The characters of normalised bytes (`count` characters before truncation), or why they are refused.
    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, _ count: Int, _ raw: () -> String
    ) -> Result<InlineASCII, IdentifierError> {
        func failure(_ type: IssueType, _ message: String) -> Result<InlineASCII, IdentifierError> {
            .failure(IdentifierError(type: type, message: message, maskedValue: RawText.plain(raw())))
        }
        if count == 0 {
            return .failure(IdentifierError(type: .missingCell, message: "Code commune INSEE absent"))
        }
        guard count == 5 else {
            return failure(
                .typeError,
                "Le code commune INSEE doit compter 5 caractères (67482, 2A004) : \(RawText.received(count))"
            )
        }
        let corsican = bytes[0] == 0x32 && (bytes[1] == 0x41 || bytes[1] == 0x42)
        let refused = RawText.firstRefused(bytes) { byte, index in
            RawText.isDigit(byte) || (corsican && index == 1)
        }
        if let position = refused {
            return failure(
                .typeError,
                "Caractère non autorisé dans le code commune INSEE en position \(position) : chiffres attendus "
                    + "(2A ou 2B en tête pour la Corse)")
        }
        guard bytes[0] != 0x30 || bytes[1] != 0x30 else {
            return failure(
                .constraintError, "Code commune INSEE invalide : aucun département ne commence par 00")
        }
        return .success(InlineASCII(UnsafeBufferPointer(rebasing: bytes[0..<5])))
    }
}
