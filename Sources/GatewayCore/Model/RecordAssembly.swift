/// A rule broken by a record's values, named by the field it concerns (located by the caller: at the field's origin
/// in the file when the record has it, at the record otherwise).
public struct RecordProblem: Sendable, Equatable {
    public var type: IssueType
    public var field: String
    public var value: String?
    public var message: String
    /// The plausibility check that found it (its severity is the flow's to set), nil for a breach of format.
    public var check: PlausibilityCheck?

    public init(
        _ type: IssueType, field: String, value: String? = nil, message: String, check: PlausibilityCheck? = nil
    ) {
        self.type = type
        self.field = field
        self.value = value
        self.message = message
        self.check = check
    }
}

/// Records assembled from typed values, with their rules, in one place: the builders read the values from a field
/// bag, the CSV row screen (`GatewayScreen.RowScreen`) from a row's cells. Whatever a rule reads is in
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
        func text(_ index: Int) -> String? { index < texts.count ? texts[index] : nil }
        // The identity's fields lead the enrolment's typed fields: its typed values read them, the one way.
        let typed = Enrolment.Values(values)
        let identity = PersonIdentity(
            nir: typed.nir, franceTravailID: typed.personFranceTravailID, organisme: typed.organisme,
            matricule: typed.matricule, role: typed.role, surname: text(0), firstName: text(1),
            birthDate: typed.birthDate)
        checkNIR(identity.nir, check: typed.nirCheck, birthDate: identity.birthDate, problems: &problems)
        return identity
    }

    /// The checks that catch shifted columns: the NIR and its repetition on the line must agree, and so must the
    /// NIR and the birth date.
    static func checkNIR(_ nir: NIR?, check: NIR?, birthDate: LocalDate?, problems: inout [RecordProblem]) {
        guard let nir else { return }
        if let check, !check.sameBase13(as: nir) {
            problems.append(
                RecordProblem(
                    .constraintError, field: "person.nirCheck", value: check.masked,
                    message:
                        "Les deux NIR de la ligne diffèrent (\(nir.masked) et \(check.masked)) : colonnes décalées ou ligne mal constituée."
                ))
        }
        guard let birthDate else { return }
        for problem in nir.agreementIssues(sex: nil, civility: nil, birthDate: birthDate) {
            problems.append(
                RecordProblem(
                    problem.type, field: "person.nir", value: problem.maskedValue ?? nir.masked,
                    message: problem.message, check: .nirIdentityMismatch))
        }
    }
}

extension Enrolment {
    /// The fields the rules read: the identity's, then the enrolment's own. `Values` holds them by these indices
    /// (`EnrolmentValuesTests` checks that each keeps its place).
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
        Facts(values, absent: absent, problems: &problems).map { Enrolment($0, texts: texts) }
    }

    /// The record of `facts` with its free texts (`texts[i]` is the value of `textFields[i]`; texts may be left
    /// out).
    init(_ facts: Facts, texts: [String?]) {
        func text(_ index: Int) -> String? { index < texts.count ? texts[index] : nil }
        let own = PersonIdentity.textFields.count
        let reason = text(own)
        self.init(
            person: PersonIdentity(
                nir: facts.nir, franceTravailID: facts.personFranceTravailID, organisme: facts.organisme,
                matricule: facts.matricule, role: facts.role, surname: text(0), firstName: text(1),
                birthDate: facts.birthDate),
            franceTravailID: facts.franceTravailID, kind: facts.kind, category: facts.category,
            startDate: facts.startDate, cessationDate: facts.cessationDate,
            cessationReason: text(own + 1) ?? (facts.kind == .cessation ? reason : nil),
            radiationDate: facts.radiationDate,
            radiationReason: text(own + 2) ?? (facts.kind == .radiation ? reason : nil),
            ppaeSignedOn: facts.ppaeSignedOn, lastInterviewOn: facts.lastInterviewOn, adviser: text(own + 3),
            rome: facts.rome, commune: facts.commune, locality: text(own + 4), agency: text(own + 5))
    }

    /// Everything an enrolment holds but its free texts, read from typed values (`typedFields`) with the rules
    /// checked: what the record is built from, and all a row screen needs (`PartnerRecord.digests`).
    public struct Facts: Sendable, Equatable {
        public var nir: NIR?
        public var personFranceTravailID: FranceTravailID?
        public var organisme: Organisme?
        public var matricule: Matricule?
        public var role: PersonRole?
        public var birthDate: LocalDate?
        public var franceTravailID: FranceTravailID
        public var kind: EnrolmentKind
        public var category: Int?
        public var startDate: LocalDate?
        public var cessationDate: LocalDate?
        public var radiationDate: LocalDate?
        public var ppaeSignedOn: LocalDate?
        public var lastInterviewOn: LocalDate?
        public var rome: ROMECode?
        public var commune: INSEECommune?

        /// The facts of `values[i]`, the value of `typedFields[i]`, or nil when there is no kind or no France
        /// Travail id; `problems` gets the rules they break.
        @inline(__always)
        public init?(_ values: [CanonicalValue?], absent: (String) -> Bool, problems: inout [RecordProblem]) {
            self.init(Values(values), absent: absent, problems: &problems)
        }

        /// The facts of `values`, or nil when there is no kind or no France Travail id; `problems` gets the rules
        /// they break.
        @inline(__always)
        public init?(_ values: Values, absent: (String) -> Bool, problems: inout [RecordProblem]) {
            nir = values.nir
            personFranceTravailID = values.personFranceTravailID
            birthDate = values.birthDate
            organisme = values.organisme
            matricule = values.matricule
            role = values.role
            PersonIdentity.checkNIR(nir, check: values.nirCheck, birthDate: birthDate, problems: &problems)
            guard let kind = values.kind else { return nil }
            guard let id = personFranceTravailID else {
                if absent("person.franceTravailID") {
                    problems.append(
                        RecordProblem(
                            .missingCell, field: "person.franceTravailID",
                            message: "Identifiant France Travail absent : la ligne ne peut pas être rattachée."))
                }
                return nil
            }
            self.kind = kind
            franceTravailID = id
            category = values.category
            startDate = values.startDate
            cessationDate = values.cessationDate
            radiationDate = values.radiationDate
            ppaeSignedOn = values.ppaeSignedOn
            lastInterviewOn = values.lastInterviewOn
            rome = values.rome
            commune = values.commune
            let event = values.eventDate
            switch kind {
            case .inscription, .stock: startDate = startDate ?? event
            case .cessation: cessationDate = cessationDate ?? event
            case .radiation: radiationDate = radiationDate ?? event
            }
            if effectiveDate == nil {
                problems.append(
                    RecordProblem(
                        .missingCell, field: "eventDate",
                        message: "Aucune date d'inscription, de cessation ou de radiation sur la ligne."))
            }
            if kind == .cessation && cessationDate == nil {
                problems.append(
                    RecordProblem(
                        .missingCell, field: "cessationDate", message: "Ligne de cessation sans date de cessation."))
            }
            if kind == .radiation && radiationDate == nil {
                problems.append(
                    RecordProblem(
                        .missingCell, field: "radiationDate", message: "Ligne de radiation sans date de radiation."))
            }
            if let start = startDate, let end = cessationDate ?? radiationDate, end < start {
                problems.append(
                    RecordProblem(
                        .constraintError, field: cessationDate != nil ? "cessationDate" : "radiationDate",
                        value: end.iso, message: "La date de fin d'inscription précède la date d'inscription."))
            }
        }

        /// The facts of `values` when they break no rule.
        @inline(__always)
        static func unbroken(_ values: Values) -> Facts? {
            var problems: [RecordProblem] = []
            guard let facts = Facts(values, absent: { _ in true }, problems: &problems), problems.isEmpty else {
                return nil
            }
            return facts
        }

        /// As `Enrolment.effectiveDate`.
        public var effectiveDate: LocalDate? { radiationDate ?? cessationDate ?? startDate }

        /// The record's `PartnerRecord.businessKeyDigest`.
        public var keyDigest: UInt64 {
            @inline(__always) get { Enrolment.keyDigest(franceTravailID, kind, effectiveDate) }
        }

        /// A digest of every fact: equal facts, equal digests. Two records built from facts with the same texts are
        /// equal exactly when their facts are, so with the texts hashed beside it, it tells a repeated record from a
        /// conflicting one without keeping the records.
        public var digest: UInt64 {
            @inline(__always) get {
                var digest = FactsDigest()
                // NIRs are equal on their first 13 characters (`NIR.==`).
                digest.add(nir?.characters.prefix(13))
                digest.add(personFranceTravailID?.characters)
                digest.add(organisme?.rawValue)
                digest.add(matricule?.characters)
                digest.add(role?.rawValue)
                digest.add(birthDate)
                digest.add(franceTravailID.characters)
                digest.add(Int(kind.code))
                digest.add(category)
                digest.add(startDate)
                digest.add(cessationDate)
                digest.add(radiationDate)
                digest.add(ppaeSignedOn)
                digest.add(lastInterviewOn)
                digest.add(rome?.characters)
                digest.add(commune?.characters)
                return digest.value
            }
        }
    }
}

extension Enrolment {
    /// The values the rules read (`typedFields`), each held as its type: what `Facts` are made from. A row screen
    /// sets them straight from a row's cells; the builders from a list of values. The identity's fields come first,
    /// so a list of `PersonIdentity.typedFields` alone is read the same way (`PersonIdentity.assemble`).
    public struct Values: Sendable {
        var nir: NIR?
        var nirCheck: NIR?
        var personFranceTravailID: FranceTravailID?
        var birthDate: LocalDate?
        var organisme: Organisme?
        var matricule: Matricule?
        var role: PersonRole?
        var kind: EnrolmentKind?
        var eventDate: LocalDate?
        var category: Int?
        var startDate: LocalDate?
        var cessationDate: LocalDate?
        var radiationDate: LocalDate?
        var ppaeSignedOn: LocalDate?
        var lastInterviewOn: LocalDate?
        var rome: ROMECode?
        var commune: INSEECommune?

        /// No value.
        public init() {}

        /// `values[i]` as the value of `typedFields[i]`.
        public init(_ values: [CanonicalValue?]) {
            for index in values.indices { set(index, values[index]) }
        }

        /// Sets the value of `typedFields[index]`. A value of another type than the field's leaves it absent, and
        /// so does a text that is no organisme, role or kind.
        @inline(__always)
        public mutating func set(_ index: Int, _ value: CanonicalValue?) {
            func date() -> LocalDate? {
                if case .date(let date)? = value { return date }
                return nil
            }
            func text() -> String? {
                if case .text(let text)? = value { return text }
                return nil
            }
            switch index {
            case 0, 1:
                var nir: NIR?
                if case .nir(let value)? = value { nir = value }
                if index == 0 { self.nir = nir } else { nirCheck = nir }
            case 2:
                personFranceTravailID = nil
                if case .franceTravailID(let id)? = value { personFranceTravailID = id }
            case 3: birthDate = date()
            case 4: organisme = text().flatMap(Organisme.init(rawValue:))
            case 5:
                matricule = nil
                if case .matricule(let value)? = value { matricule = value }
            case 6: role = text().flatMap(PersonRole.init(rawValue:))
            case 7: kind = text().flatMap(EnrolmentKind.init(name:))
            case 8: eventDate = date()
            case 9:
                category = nil
                if case .integer(let number)? = value { category = number }
            case 10: startDate = date()
            case 11: cessationDate = date()
            case 12: radiationDate = date()
            case 13: ppaeSignedOn = date()
            case 14: lastInterviewOn = date()
            case 15:
                rome = nil
                if case .rome(let value)? = value { rome = value }
            case 16:
                commune = nil
                if case .inseeCommune(let value)? = value { commune = value }
            default: break
            }
        }

        /// The value of `typedFields[index]`, as `set` took it (a text as what it read: organisme, role, kind).
        public func value(_ index: Int) -> CanonicalValue? {
            switch index {
            case 0: nir.map(CanonicalValue.nir)
            case 1: nirCheck.map(CanonicalValue.nir)
            case 2: personFranceTravailID.map(CanonicalValue.franceTravailID)
            case 3: birthDate.map(CanonicalValue.date)
            case 4: organisme.map { .text($0.rawValue) }
            case 5: matricule.map(CanonicalValue.matricule)
            case 6: role.map { .text($0.rawValue) }
            case 7: kind.map { .text($0.rawValue) }
            case 8: eventDate.map(CanonicalValue.date)
            case 9: category.map(CanonicalValue.integer)
            case 10: startDate.map(CanonicalValue.date)
            case 11: cessationDate.map(CanonicalValue.date)
            case 12: radiationDate.map(CanonicalValue.date)
            case 13: ppaeSignedOn.map(CanonicalValue.date)
            case 14: lastInterviewOn.map(CanonicalValue.date)
            case 15: rome.map(CanonicalValue.rome)
            case 16: commune.map(CanonicalValue.inseeCommune)
            default: nil
            }
        }
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

    /// The business key's digest (`businessKeyDigest`) and the digest of every value but the free text (`Facts.digest`)
    /// of the record of `entity` assembled from the values of its `typedFields`, when they break no rule: what a row
    /// screen needs, without the record.
    public static func digests(entity: String, _ values: [CanonicalValue?]) -> (key: UInt64, facts: UInt64)? {
        guard entity == Catalogue.enrolment.name else { return nil }
        return digests(Enrolment.Values(values))
    }

    /// `digests(entity:_:)` of an enrolment's typed values (the only records assembled from typed values).
    @inline(__always)
    public static func digests(_ values: Enrolment.Values) -> (key: UInt64, facts: UInt64)? {
        Enrolment.Facts.unbroken(values).map { ($0.keyDigest, $0.digest) }
    }

    /// The record of `entity` from the values of its `typedFields` alone (its free text left out), when they break
    /// no rule: what a row screen needs to vouch for a row and know its business key.
    public static func assemble(entity: String, _ values: [CanonicalValue?]) -> PartnerRecord? {
        guard entity == Catalogue.enrolment.name else { return nil }
        return assemble(Enrolment.Values(values))
    }

    /// `assemble(entity:_:)` of an enrolment's typed values.
    public static func assemble(_ values: Enrolment.Values) -> PartnerRecord? {
        Enrolment.Facts.unbroken(values).map { .enrolment(Enrolment($0, texts: [])) }
    }
}

extension Enrolment {
    /// `PartnerRecord.businessKeyDigest`: the key's parts (France Travail id, kind, effective date) digested as they
    /// are held, without building the key (a million France Travail rows).
    public var keyDigest: UInt64 { Self.keyDigest(franceTravailID, kind, effectiveDate) }

    static func keyDigest(_ id: FranceTravailID, _ kind: EnrolmentKind, _ date: LocalDate?) -> UInt64 {
        var digest = FactsDigest()
        digest.add(id.characters)
        digest.add(Int(kind.code))
        digest.add(date)
        return digest.value
    }
}

/// A 64-bit digest of values, field after field, each marked present or absent. Not for storage: it tells
/// repeated records from conflicting ones within one run. Its mixer is also the row screen's (`RowFingerprint`).
public struct FactsDigest: Sendable {
    /// Stored apart from `value` so that `mix` can be inlined in other modules (the row screen's hot loop).
    @usableFromInline var state: UInt64 = 0x243F_6A88_85A3_08D3

    public var value: UInt64 { state }

    public init() {}

    /// Mixes one word into the digest.
    @inlinable @inline(__always)
    public mutating func mix(_ word: UInt64) {
        state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
        state ^= state >> 29
    }

    mutating func add(_ characters: InlineASCII?) {
        guard let characters else { return mix(0) }
        let (low, high) = characters.words
        mix(low | 1 << 63)
        mix(high ^ UInt64(characters.count))
    }

    mutating func add(_ date: LocalDate?) {
        mix(date.map { UInt64($0.packed) | 1 << 63 } ?? 0)
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
