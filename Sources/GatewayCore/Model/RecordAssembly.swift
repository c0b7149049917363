/// A rule broken by a record's values, named by the field it concerns (located by the caller: at the field's origin
/// in the file when the record has it, at the record otherwise).
public struct RecordProblem: Sendable, Equatable {
    public var type: IssueType
    public var field: String
    public var value: String?
    public var message: String

    public init(_ type: IssueType, field: String, value: String? = nil, message: String) {
        self.type = type
        self.field = field
        self.value = value
        self.message = message
    }
}

/// Records assembled from typed values, with their rules, in one place: the builders read the values from a field
/// bag, the CSV row screen (`GatewayMapping.RowScreen`) from a row's cells. Whatever a rule reads is in
/// `typedFields`; `textFields` are only copied into the record, never checked.
extension PersonIdentity {
    /// The identity fields the rules read, in the order `assemble` asks for them.
    public static let typedFields = [
        "person.nir", "person.nirCheck", "person.franceTravailID", "person.birthDate", "person.organisme",
        "person.matricule", "person.role",
    ]
    /// The identity fields copied as they are.
    public static let textFields = ["person.surname", "person.firstName"]

    /// The identity, with the checks that catch shifted columns: the two NIRs of a France Travail line must agree,
    /// and a NIR must agree with the birth date given beside it. `values[i]` is the value of `typedFields[i]`,
    /// `texts[i]` that of `textFields[i]` (texts may be left out when only the rules matter).
    public static func assemble(
        _ values: [CanonicalValue?], texts: [String?], problems: inout [RecordProblem]
    ) -> PersonIdentity {
        func value(_ index: Int) -> CanonicalValue? { values[index] }
        func text(_ index: Int) -> String? { index < texts.count ? texts[index] : nil }
        var identity = PersonIdentity()
        if case .nir(let nir)? = value(0) { identity.nir = nir }
        if case .franceTravailID(let id)? = value(2) { identity.franceTravailID = id }
        if case .date(let date)? = value(3) { identity.birthDate = date }
        if case .text(let text)? = value(4) { identity.organisme = Organisme(rawValue: text) }
        if case .matricule(let matricule)? = value(5) { identity.matricule = matricule }
        if case .text(let text)? = value(6) { identity.role = PersonRole(rawValue: text) }
        identity.surname = text(0)
        identity.firstName = text(1)
        if let nir = identity.nir {
            if case .nir(let check)? = value(1), !check.sameBase13(as: nir) {
                problems.append(
                    RecordProblem(
                        .constraintError, field: "person.nirCheck", value: check.masked,
                        message:
                            "Les deux NIR de la ligne diffèrent (\(nir.masked) et \(check.masked)) : colonnes décalées ou ligne mal constituée."
                    ))
            }
            for problem in nir.agreementIssues(sex: nil, civility: nil, birthDate: identity.birthDate) {
                problems.append(
                    RecordProblem(
                        problem.type, field: "person.nir", value: problem.maskedValue ?? nir.masked,
                        message: problem.message))
            }
        }
        return identity
    }
}

extension Enrolment {
    /// The fields the rules read: the identity's, then the enrolment's own.
    public static let typedFields =
        PersonIdentity.typedFields + [
            "kind", "eventDate", "category", "startDate", "cessationDate", "radiationDate", "ppaeSignedOn",
            "lastInterviewOn", "rome", "commune",
        ]
    /// The fields copied as they are: the identity's, then the enrolment's own.
    public static let textFields =
        PersonIdentity.textFields + [
            "reason", "cessationReason", "radiationReason", "adviser", "locality", "agency",
        ]

    /// The enrolment a France Travail line describes, or nil when it has no kind or no France Travail id (a
    /// missing id is a problem unless `absent` says the mapping refused it already). The line's event date and
    /// reason become the start, cessation or radiation by kind.
    public static func assemble(
        _ values: [CanonicalValue?], texts: [String?], absent: (String) -> Bool, problems: inout [RecordProblem]
    ) -> Enrolment? {
        let own = PersonIdentity.typedFields.count
        let ownTexts = PersonIdentity.textFields.count
        let person = PersonIdentity.assemble(values, texts: texts, problems: &problems)
        func value(_ index: Int) -> CanonicalValue? { values[index] }
        func text(_ index: Int) -> String? { index < texts.count ? texts[index] : nil }
        func date(_ index: Int) -> LocalDate? {
            if case .date(let date)? = value(own + index) { return date }
            return nil
        }
        guard case .text(let kindText)? = value(own), let kind = EnrolmentKind(rawValue: kindText) else { return nil }
        guard let id = person.franceTravailID else {
            if absent("person.franceTravailID") {
                problems.append(
                    RecordProblem(
                        .missingCell, field: "person.franceTravailID",
                        message: "Identifiant France Travail absent : la ligne ne peut pas être rattachée."))
            }
            return nil
        }
        let event = date(1)
        let reason = text(ownTexts)
        var category: Int?
        if case .integer(let number)? = value(own + 2) { category = number }
        var enrolment = Enrolment(
            person: person, franceTravailID: id, kind: kind, category: category, startDate: date(3),
            cessationDate: date(4), cessationReason: text(ownTexts + 1), radiationDate: date(5),
            radiationReason: text(ownTexts + 2), ppaeSignedOn: date(6), lastInterviewOn: date(7),
            adviser: text(ownTexts + 3), rome: nil, commune: nil, locality: text(ownTexts + 4),
            agency: text(ownTexts + 5))
        if case .rome(let rome)? = value(own + 8) { enrolment.rome = rome }
        if case .inseeCommune(let commune)? = value(own + 9) { enrolment.commune = commune }
        switch kind {
        case .inscription, .stock: enrolment.startDate = enrolment.startDate ?? event
        case .cessation:
            enrolment.cessationDate = enrolment.cessationDate ?? event
            enrolment.cessationReason = enrolment.cessationReason ?? reason
        case .radiation:
            enrolment.radiationDate = enrolment.radiationDate ?? event
            enrolment.radiationReason = enrolment.radiationReason ?? reason
        }
        if enrolment.effectiveDate == nil {
            problems.append(
                RecordProblem(
                    .missingCell, field: "eventDate",
                    message: "Aucune date d'inscription, de cessation ou de radiation sur la ligne."))
        }
        if kind == .cessation && enrolment.cessationDate == nil {
            problems.append(
                RecordProblem(
                    .missingCell, field: "cessationDate", message: "Ligne de cessation sans date de cessation."))
        }
        if kind == .radiation && enrolment.radiationDate == nil {
            problems.append(
                RecordProblem(
                    .missingCell, field: "radiationDate", message: "Ligne de radiation sans date de radiation."))
        }
        if let start = enrolment.startDate, let end = enrolment.cessationDate ?? enrolment.radiationDate, end < start {
            problems.append(
                RecordProblem(
                    .constraintError, field: enrolment.cessationDate != nil ? "cessationDate" : "radiationDate",
                    value: end.iso, message: "La date de fin d'inscription précède la date d'inscription."))
        }
        return enrolment
    }
}

extension PartnerRecord {
    /// The names of the fields that the rules of `entity` read, when its records can be assembled from typed values
    /// alone (see `assemble(entity:_:)`); nil for the entities whose builders read a field bag.
    public static func typedFields(of entity: String) -> [String]? {
        entity == Catalogue.enrolment.name ? Enrolment.typedFields : nil
    }

    /// The names of the free-text fields a record of `entity` keeps as they are (`typedFields` says when it has any).
    public static func textFields(of entity: String) -> [String] {
        entity == Catalogue.enrolment.name ? Enrolment.textFields : []
    }

    /// Text fields that stand in for others when those are absent (`reason` is the cessation's or the radiation's
    /// reason): a mapping that maps both cannot be screened field by field.
    public static func textFallbacks(of entity: String) -> [String: [String]] {
        entity == Catalogue.enrolment.name ? ["reason": ["cessationReason", "radiationReason"]] : [:]
    }

    /// The business key's digest (`businessKeyDigest`) and the digest of every value but the free text (`factsDigest`)
    /// of the record of `entity` assembled from the values of its `typedFields`, when they break no rule: what a row
    /// screen needs, without the record.
    public static func digests(entity: String, _ values: [CanonicalValue?]) -> (key: UInt64, facts: UInt64)? {
        guard entity == Catalogue.enrolment.name else { return nil }
        var problems: [RecordProblem] = []
        // Read in place: the record is not copied out.
        let digests = Enrolment.assemble(values, texts: [], absent: { _ in true }, problems: &problems).map {
            (key: $0.keyDigest, facts: $0.factsDigest)
        }
        return problems.isEmpty ? digests : nil
    }

    /// The record of `entity` from the values of its `typedFields` alone (its free text left out), when they break
    /// no rule: what a row screen needs to vouch for a row and know its business key.
    public static func assemble(entity: String, _ values: [CanonicalValue?]) -> PartnerRecord? {
        guard entity == Catalogue.enrolment.name else { return nil }
        var problems: [RecordProblem] = []
        guard let enrolment = Enrolment.assemble(values, texts: [], absent: { _ in true }, problems: &problems),
            problems.isEmpty
        else { return nil }
        return .enrolment(enrolment)
    }
}

extension Enrolment {
    /// `KeyDigest.of(PartnerRecord.businessKey)`, fed from the values in place.
    public var keyDigest: UInt64 {
        var digest = KeyDigest()
        digest.add(franceTravailID.characters)
        digest.add(byte: 0x7C)
        digest.add(kind.rawValue)
        digest.add(byte: 0x7C)
        if let date = effectiveDate { digest.add(date) }
        return digest.value
    }

    /// A digest of every stored value but the free text: equal for equal values (`digestedProperties` and
    /// `textProperties` name every stored property, a test checks it). With the texts hashed beside it, it tells
    /// a repeated record from a conflicting one without keeping the records.
    public var factsDigest: UInt64 {
        var digest = FactsDigest()
        digest.add(person.nir?.characters)
        digest.add(person.franceTravailID?.characters)
        digest.add(person.organisme?.rawValue)
        digest.add(person.matricule?.canonical)
        digest.add(person.role?.rawValue)
        digest.add(person.birthDate)
        digest.add(franceTravailID.characters)
        digest.add(kind.rawValue)
        digest.add(category)
        digest.add(startDate)
        digest.add(cessationDate)
        digest.add(radiationDate)
        digest.add(ppaeSignedOn)
        digest.add(lastInterviewOn)
        digest.add(rome?.canonical)
        digest.add(commune?.characters)
        return digest.value
    }

    /// The stored properties `factsDigest` reads (the person's as `person.…`).
    static let digestedProperties = [
        "person.nir", "person.franceTravailID", "person.organisme", "person.matricule", "person.role",
        "person.birthDate", "franceTravailID", "kind", "category", "startDate", "cessationDate", "radiationDate",
        "ppaeSignedOn", "lastInterviewOn", "rome", "commune",
    ]
    /// The stored properties it leaves to the texts' hash.
    static let textProperties = [
        "person.surname", "person.firstName", "cessationReason", "radiationReason", "adviser", "locality", "agency",
    ]
}

/// A 64-bit digest of values, field after field, each marked present or absent. Not for storage: it tells
/// repeated records from conflicting ones within one run.
struct FactsDigest {
    private(set) var value: UInt64 = 0x243F_6A88_85A3_08D3

    @inline(__always)
    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
    }

    mutating func add(_ characters: InlineASCII?) {
        guard let characters else { return mix(0) }
        let (low, high) = characters.words
        mix(low | 1 << 63)
        mix(high ^ UInt64(characters.count))
    }

    mutating func add(_ date: LocalDate?) {
        mix(date.map { UInt64(truncatingIfNeeded: $0.year * 10_000 + $0.month * 100 + $0.day) | 1 << 63 } ?? 0)
    }

    mutating func add(_ number: Int?) {
        guard let number else { return mix(0) }
        mix(1)
        mix(UInt64(bitPattern: Int64(number)))
    }

    mutating func add(_ text: String?) {
        guard var text else { return mix(0) }
        mix(UInt64(text.utf8.count) | 1 << 63)
        text.withUTF8 { bytes in
            var word: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                word = word << 8 | UInt64(byte)
                if index & 7 == 7 {
                    mix(word)
                    word = 0
                }
            }
            mix(word)
        }
    }
}
