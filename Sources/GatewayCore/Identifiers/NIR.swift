/// A French social security number (NIR, "numéro de sécurité sociale"), validated.
///
/// Accepted forms, after removing spaces and dots anywhere and upper-casing:
/// - 13 characters, without the key, as CAF files send it;
/// - 15 characters, with the key, as MSA files send it; the key must then be right.
///
/// Characters 6–7 may be `2A` or `2B` (born in Corsica since 1976); they count as 19 and 18 for the key.
/// The first digit is 1 or 2, or 3, 4, 7, 8 for provisional numbers. For regular numbers (1, 2) the
/// month (characters 4–5) must be 01–12, or 20–42 or 50–99, values INSEE gives when the month is
/// unknown; for provisional numbers the month is not checked (their construction varies). The
/// département and commune digits are not checked against any list.
///
/// Two NIRs are equal when their first 13 characters are: the key is derived from them, so a CAF NIR
/// without key and the MSA NIR with its key are the same person.
///
/// `description` (and so string interpolation, `print`, `dump`) only shows `masked`: a log never
/// receives a full NIR. Use `canonical` to store the value.
public struct NIR: ValidatedIdentifier, CustomDebugStringConvertible, CustomReflectable {
    /// The normalised value: `base13`, followed by the key when the partner gave one (checked);
    /// a key is never added, so what is stored is what was sent, normalised. See `withKey`.
    public var canonical: String { characters.string }
    /// The first 13 characters (with `2A`/`2B` kept as letters): the key NIRs are compared on.
    public var base13: String { characters.prefix(13).string }
    /// Whether `other` has the same `base13`, compared in place.
    public func sameBase13(as other: NIR) -> Bool { characters.prefix(13) == other.characters.prefix(13) }
    /// The characters of `canonical`, held inline.
    let characters: InlineASCII
    private let storedKey: UInt8
    private let hasKey: Bool
    private let sex: UInt8
    private let year: UInt8
    private let month: UInt8

    /// The key the partner gave (15-character form), which is then equal to `computedKey`; nil otherwise.
    public var key: Int? { hasKey ? Int(storedKey) : nil }
    /// The key computed from `base13`: 97 − (base13 mod 97), with `2A`/`2B` read as 19/18; 1 to 97.
    public var computedKey: Int { Int(storedKey) }
    /// The 15-character form with the computed key, for partners that require it.
    public var withKey: String { hasKey ? canonical : base13 + NIR.twoDigits(Int(storedKey)) }
    /// The first digit: 1 or 2 (men, women), 3, 4, 7 or 8 for provisional numbers (odd for men).
    public var sexDigit: Int { Int(sex) }
    /// Characters 2–3: the last two digits of the birth year.
    public var birthYearTwoDigits: Int { Int(year) }
    /// The birth month (characters 4–5) when it is a calendar month, 1–12; nil for INSEE's special values.
    public var birthMonth: Int? { (1...12).contains(month) ? Int(month) : nil }
    /// Whether this is a provisional number (first digit 3, 4, 7 or 8).
    public var isProvisional: Bool { sex != 1 && sex != 2 }

    /// The NIR with only sex and birth year visible, one `*` per hidden character: `184************`.
    public var masked: String {
        Masking.nir(canonical)
    }

    /// `masked`: interpolating a NIR in a log never leaks it.
    public var description: String { masked }
    /// `NIR(184**********)`: never the full value.
    public var debugDescription: String { "NIR(\(masked))" }
    /// A mirror showing only `masked`, so that `dump` never leaks the value either.
    public var customMirror: Mirror {
        Mirror(self, children: ["masked": masked], displayStyle: .struct)
    }

    /// Validates a NIR; see the type's documentation for the accepted forms.
    public init(validating raw: String) throws(IdentifierError) {
        let result = RawText.withNormalised(raw, capacity: 15, stripSeparators: true) { bytes, count in
            NIR.parse(bytes, count: count, raw: { raw })
        }
        self = try result.get()
    }

    public init?(validUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        let result = RawText.withNormalised(utf8: utf8, capacity: 15, stripSeparators: true) { bytes, count in
            NIR.parse(bytes, count: count, raw: { String(decoding: utf8, as: UTF8.self) })
        }
        guard case .success(let nir) = result else { return nil }
        self = nir
    }

    private init(characters: InlineASCII, key: UInt8, hasKey: Bool, sex: UInt8, year: UInt8, month: UInt8) {
        self.characters = characters
        self.storedKey = key
        self.hasKey = hasKey
        self.sex = sex
        self.year = year
        self.month = month
    }

    private static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, count: Int, raw: () -> String
    ) -> Result<NIR, IdentifierError> {
        func failure(_ type: IssueType, _ message: String) -> Result<NIR, IdentifierError> {
            .failure(IdentifierError(type: type, message: message, maskedValue: Masking.nir(raw())))
        }
        if count == 0 { return .failure(IdentifierError(type: .missingCell, message: "NIR absent")) }
        guard count == 13 || count == 15 else {
            return failure(
                .typeError,
                "Le NIR doit compter 13 caractères (sans clé) ou 15 (avec clé) : \(RawText.received(count))"
            )
        }
        let corsican = bytes[5] == 0x32 && (bytes[6] == 0x41 || bytes[6] == 0x42)
        // Plain digits, the usual NIR, are checked and read eight at a time.
        let plain =
            !corsican && RawText.areDigits(RawText.word(bytes, at: 0))
            && RawText.areDigits(RawText.word(bytes, at: count - 8))
        let refused =
            plain
            ? nil
            : RawText.firstRefused(bytes) { byte, index in
                RawText.isDigit(byte) || (corsican && index == 6)
            }
        if let position = refused {
            return failure(
                .typeError,
                "Caractère non autorisé dans le NIR en position \(position) : seuls des chiffres sont admis "
                    + "(et 2A ou 2B en positions 6–7 pour la Corse)")
        }
        func digits(_ index: Int) -> UInt8 { (bytes[index] - 0x30) * 10 + bytes[index + 1] - 0x30 }
        let sex = bytes[0] - 0x30
        switch sex {
        case 1, 2, 3, 4, 7, 8: break
        default:
            return failure(
                .constraintError,
                "Premier chiffre du NIR invalide : \(sex) (attendu 1 ou 2, ou 3, 4, 7, 8 pour un numéro provisoire)"
            )
        }
        let month = digits(3)
        if sex == 1 || sex == 2, !(1...12 ~= month || 20...42 ~= month || 50...99 ~= month) {
            return failure(
                .constraintError,
                "Mois de naissance du NIR invalide (positions 4–5) : attendu 01 à 12, ou 20 à 42 ou 50 à 99 "
                    + "pour un mois inconnu")
        }
        // Thirteen digits fit in 64 bits: one division.
        var number: UInt64 = 0
        if plain {
            number =
                RawText.digitsValue(RawText.word(bytes, at: 0)) &* 100_000
                &+ RawText.digitsValue(RawText.word(bytes, at: 5)) % 100_000
        } else {
            for index in 0..<13 {
                var digit = UInt64(bytes[index] &- 0x30)
                if corsican && index == 5 {
                    digit = 1
                } else if corsican && index == 6 {
                    digit = bytes[6] == 0x41 ? 9 : 8
                }
                number = number &* 10 &+ digit
            }
        }
        let computed = UInt8(97 - number % 97)
        if count == 15 {
            let given = digits(13)
            guard given == computed else {
                return failure(
                    .constraintError,
                    "Clé du NIR incorrecte : attendue \(twoDigits(Int(computed))), reçue \(twoDigits(Int(given)))"
                )
            }
        }
        return .success(
            NIR(
                characters: InlineASCII(UnsafeBufferPointer(rebasing: bytes[0..<count])), key: computed,
                hasKey: count == 15, sex: sex, year: digits(1), month: month))
    }

    /// Checks that the NIR agrees with the other fields of the same person; a mismatch usually means
    /// shifted columns or a NIR copied from another member of the household.
    ///
    /// - `sex` (1 man, 2 woman) must agree with the first digit (odd for men, even for women); when
    ///   `sex` is absent or another value, `civility` is used instead (`MR`, `M`, `MONSIEUR` for men;
    ///   `MME`, `MLLE`, `MADAME`, `MADEMOISELLE` for women; others are ignored).
    /// - `birthDate`'s year must end with the NIR's characters 2–3, and its month must equal
    ///   characters 4–5 when these are a calendar month.
    ///
    /// Each mismatch is a `.constraintError` with a French message that quotes no more of the NIR
    /// than `masked` shows (plus the month when it disagrees).
    public func agreementIssues(sex: Int?, civility: String?, birthDate: LocalDate?)
        -> [IdentifierError]
    {
        var issues: [IdentifierError] = []
        func issue(_ message: String) {
            issues.append(IdentifierError(type: .constraintError, message: message, maskedValue: masked))
        }
        let nirSaysMan = self.sex % 2 == 1
        var declaredMan: Bool?
        var declaredBy = "le sexe déclaré"
        if sex == 1 || sex == 2 {
            declaredMan = sex == 1
        } else if let civility, let man = NIR.civilityIsMan(civility) {
            declaredMan = man
            declaredBy = "la civilité"
        }
        if let declaredMan, declaredMan != nirSaysMan {
            issue(
                "Le NIR ne correspond pas au sexe de la personne (\(nirSaysMan ? "homme" : "femme") d'après le NIR, "
                    + "\(declaredMan ? "homme" : "femme") d'après \(declaredBy)) : colonnes décalées ?")
        }
        if let birthDate {
            if birthDate.year % 100 != Int(year) {
                issue(
                    "Le NIR ne correspond pas à la date de naissance (année \(NIR.twoDigits(Int(year))) d'après le NIR, "
                        + "\(NIR.twoDigits(birthDate.year % 100)) d'après la date) : colonnes décalées ?")
            } else if let birthMonth, birthMonth != birthDate.month {
                issue(
                    "Le NIR ne correspond pas à la date de naissance (mois \(NIR.twoDigits(birthMonth)) d'après le NIR, "
                        + "\(NIR.twoDigits(birthDate.month)) d'après la date) : colonnes décalées ?")
            }
        }
        return issues
    }

    /// Reads a civility: true for a man, false for a woman, nil when unknown.
    private static func civilityIsMan(_ civility: String) -> Bool? {
        RawText.withNormalised(civility, capacity: 13, stripSeparators: true) { bytes, count -> Bool? in
            guard count <= bytes.count else { return nil }
            switch RawText.string(bytes, 0..<count) {
            case "M", "MR", "MONSIEUR": return true
            case "MME", "MLLE", "MELLE", "MADAME", "MADEMOISELLE": return false
            default: return nil
            }
        }
    }

    /// `7` gives `07`.
    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    /// Whether both NIRs have the same first 13 characters.
    public static func == (lhs: NIR, rhs: NIR) -> Bool { lhs.characters.prefix(13) == rhs.characters.prefix(13) }

    /// Hashes the first 13 characters, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(characters.prefix(13)) }
}
