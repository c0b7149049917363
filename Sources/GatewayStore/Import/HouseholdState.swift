import GatewayCore

/// The stored form of a household's last state: a compact, deterministic text, so that comparing two states
/// is comparing two strings, and reading one back costs a split, not a JSON decoder.
///
/// Fields are separated by U+001F, sections (people, events, anomalies) by U+001E; an absent value is U+0018.
/// Partner data never holds these control characters (XML 1.0 forbids them); any found is replaced by a space.
enum HouseholdState {
    static let version = "s1"
    private static let field: Character = "\u{1F}"
    private static let section: Character = "\u{1E}"
    private static let absent = "\u{18}"

    /// The encoded bytes, appended field by field (a value type with mutating methods: no captured, boxed
    /// buffer, no exclusivity checks per byte).
    private struct Writer {
        var out: [UInt8] = []

        /// A field; the separators found in `value` are replaced by spaces (byte by byte: the control characters
        /// are single bytes, and single characters, since a control character never joins a grapheme).
        mutating func put(_ value: String?) {
            out.append(0x1F)
            guard var value else {
                out.append(0x18)
                return
            }
            value.withUTF8 { bytes in
                if bytes.contains(where: { $0 == 0x1F || $0 == 0x1E || $0 == 0x18 }) {
                    for byte in bytes { out.append(byte == 0x1F || byte == 0x1E || byte == 0x18 ? 0x20 : byte) }
                } else {
                    out.append(contentsOf: bytes)
                }
            }
        }

        mutating func put(_ value: Bool?) { put(value.map { $0 ? "1" : "0" }) }

        mutating func put(_ motive: DatedMotive?) {
            put(motive?.motive)
            put(motive?.date?.iso)
        }

        mutating func mark(_ kind: UInt8) {
            out.append(0x1E)
            out.append(kind)
        }
    }

    static func encode(_ household: Household) -> String {
        var writer = Writer()
        writer.out.reserveCapacity(640)
        writer.out.append(contentsOf: version.utf8)
        writer.put(household.organisme.rawValue)
        writer.put(household.organismeNumber)
        writer.put(household.matricule.canonical)
        writer.put(household.rsaRequestNumber)
        writer.put(household.rsaRequestDate?.iso)
        writer.put(household.partnerDepartement)
        let address = household.address
        writer.put(address == nil ? nil : "A")
        writer.put(address?.streetNumber)
        writer.put(address?.streetType)
        writer.put(address?.streetName)
        writer.put(address?.complement)
        writer.put(address?.locality)
        writer.put(address?.commune?.canonical)
        writer.put(address?.postalCode?.canonical)
        writer.put(address?.communeName)
        writer.put(address?.country)
        writer.put(household.homeless)
        writer.put(household.soumisDroitsDevoirs)
        let right = household.right
        writer.put(right.state.rawValue)
        writer.put(right.benefitNature)
        writer.put(right.refusal)
        writer.put(right.rightSuspension)
        writer.put(right.paymentSuspension)
        writer.put(right.closure)
        writer.put(right.earlierMonthClosure)
        for person in household.people {
            writer.mark(UInt8(ascii: "P"))
            writer.put(person.nir?.canonical)
            writer.put(person.civility?.rawValue)
            writer.put(person.surname)
            writer.put(person.birthName)
            writer.put(person.firstName)
            writer.put(person.birthDate?.iso)
            writer.put(person.sex.map(String.init))
            writer.put(person.role.rawValue)
            writer.put(person.franceTravailID?.canonical)
            writer.put(person.soumisDroitsDevoirs)
            writer.put(person.entrantDroitsDevoirs)
            // What a fuller mapping reads, in a section of its own written only when there is something: a
            // household the mapping says nothing more of keeps the state it had.
            if person.activity != nil || person.activityStart != nil || person.activityEnd != nil
                || person.contractNature != nil || person.monthlyResources != nil
            {
                writer.mark(UInt8(ascii: "A"))
                writer.put(person.activity)
                writer.put(person.activityStart?.iso)
                writer.put(person.activityEnd?.iso)
                writer.put(person.contractNature)
                writer.put(person.monthlyResources)
            }
        }
        if household.familySituation != nil || household.familySituationSince != nil
            || household.dependentChildren != nil || right.monthlyResources != nil || right.totalAmount != nil
            || right.paidAmount != nil || right.paidOn != nil
        {
            writer.mark(UInt8(ascii: "F"))
            writer.put(household.familySituation)
            writer.put(household.familySituationSince?.iso)
            writer.put(household.dependentChildren.map(String.init))
            writer.put(right.monthlyResources)
            writer.put(right.totalAmount)
            writer.put(right.paidAmount)
            writer.put(right.paidOn?.iso)
        }
        for event in household.events {
            writer.mark(UInt8(ascii: "E"))
            writer.put(event.liquidationDate.iso)
            writer.put(event.liquidationTime)
            writer.put(event.code)
        }
        for anomaly in household.anomalies {
            writer.mark(UInt8(ascii: "N"))
            writer.put(anomaly)
        }
        return String(decoding: writer.out, as: UTF8.self)
    }

    /// Reads a state back; nil when it is not in this version's form (the household then counts as new).
    static func decode(_ text: String) -> Household? {
        let sections = text.split(separator: section, omittingEmptySubsequences: false)
        guard let head = sections.first else { return nil }
        var values = head.split(separator: field, omittingEmptySubsequences: false)[...]
        guard values.popFirst() == Substring(version) else { return nil }
        func next() -> String? {
            guard let value = values.popFirst(), value != absent else { return nil }
            return String(value)
        }
        func date() -> LocalDate? { next().flatMap { LocalDate(iso: $0) } }
        func bool() -> Bool? { next().map { $0 == "1" } }
        func motive() -> DatedMotive? {
            let motive = next()
            let date = date()
            return motive.map { DatedMotive(motive: $0, date: date) }
        }
        guard let organisme = next().flatMap(Organisme.init(rawValue:)) else { return nil }
        let organismeNumber = next()
        guard let matricule = next().flatMap({ Matricule($0) }) else { return nil }
        let rsaRequestNumber = next()
        let rsaRequestDate = date()
        let partnerDepartement = next()
        let hasAddress = next() != nil
        let address = Address(
            streetNumber: next(), streetType: next(), streetName: next(), complement: next(), locality: next(),
            commune: next().flatMap { INSEECommune($0) }, postalCode: next().flatMap { PostalCode($0) },
            communeName: next(), country: next())
        let homeless = bool() ?? false
        let soumis = bool()
        guard let state = next().flatMap(RightState.init(rawValue:)) else { return nil }
        var right = RightStatus(
            state: state, benefitNature: next(), refusal: motive(), rightSuspension: motive(),
            paymentSuspension: motive(), closure: motive(), earlierMonthClosure: motive())
        var family: (situation: String?, since: LocalDate?, children: Int?)
        var people: [Person] = []
        var events: [CNAFEvent] = []
        var anomalies: [String] = []
        for part in sections.dropFirst() {
            guard let kind = part.first else { continue }
            values = part.dropFirst().split(separator: field, omittingEmptySubsequences: false)[...]
            _ = values.popFirst()
            switch kind {
            case "P":
                let nir = next().flatMap { NIR($0) }
                let civility = next().flatMap(Civility.init(rawValue:))
                let surname = next() ?? ""
                let birthName = next()
                let firstName = next() ?? ""
                let birthDate = date()
                let sex = next().flatMap { Int($0) }
                guard let role = next().flatMap(PersonRole.init(rawValue:)) else { return nil }
                people.append(
                    Person(
                        nir: nir, civility: civility, surname: surname, birthName: birthName, firstName: firstName,
                        birthDate: birthDate, sex: sex, role: role,
                        franceTravailID: next().flatMap { FranceTravailID($0) },
                        soumisDroitsDevoirs: bool(), entrantDroitsDevoirs: bool()))
            case "E":
                guard let day = date() else { return nil }
                let time = next()
                guard let code = next() else { return nil }
                events.append(CNAFEvent(liquidationDate: day, liquidationTime: time, code: code))
            case "N":
                if let anomaly = next() { anomalies.append(anomaly) }
            case "A":
                guard !people.isEmpty else { return nil }
                people[people.count - 1].activity = next()
                people[people.count - 1].activityStart = date()
                people[people.count - 1].activityEnd = date()
                people[people.count - 1].contractNature = next()
                people[people.count - 1].monthlyResources = next()
            case "F":
                family = (next(), date(), next().flatMap { Int($0) })
                right.monthlyResources = next()
                right.totalAmount = next()
                right.paidAmount = next()
                right.paidOn = date()
            default: return nil
            }
        }
        var household = Household(
            organisme: organisme, organismeNumber: organismeNumber, matricule: matricule,
            rsaRequestNumber: rsaRequestNumber, rsaRequestDate: rsaRequestDate, partnerDepartement: partnerDepartement,
            address: hasAddress ? address : nil, homeless: homeless, soumisDroitsDevoirs: soumis, people: people,
            right: right, events: events, anomalies: anomalies)
        household.familySituation = family.situation
        household.familySituationSince = family.since
        household.dependentChildren = family.children
        return household
    }
}
