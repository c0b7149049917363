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

    static func encode(_ household: Household) -> String {
        // Built as UTF-8 bytes: the control characters are single bytes (and single characters: a control
        // character never joins a grapheme), so replacing them byte by byte is replacing them character by
        // character.
        var out: [UInt8] = []
        out.reserveCapacity(640)
        out.append(contentsOf: version.utf8)
        func put(_ value: String?) {
            out.append(0x1F)
            guard var value else {
                out.append(0x18)
                return
            }
            value.withUTF8 { bytes in
                let start = out.count
                out.append(contentsOf: bytes)
                for index in start..<out.count where out[index] == 0x1F || out[index] == 0x1E || out[index] == 0x18 {
                    out[index] = 0x20
                }
            }
        }
        func mark(_ kind: UInt8) {
            out.append(0x1E)
            out.append(kind)
        }
        func put(_ value: Bool?) { put(value.map { $0 ? "1" : "0" }) }
        func put(_ motive: DatedMotive?) {
            put(motive?.motive)
            put(motive?.date?.iso)
        }
        put(household.organisme.rawValue)
        put(household.organismeNumber)
        put(household.matricule.canonical)
        put(household.rsaRequestNumber)
        put(household.rsaRequestDate?.iso)
        put(household.partnerDepartement)
        let address = household.address
        put(address == nil ? nil : "A")
        put(address?.streetNumber)
        put(address?.streetType)
        put(address?.streetName)
        put(address?.complement)
        put(address?.locality)
        put(address?.commune?.canonical)
        put(address?.postalCode?.canonical)
        put(address?.communeName)
        put(address?.country)
        put(household.homeless)
        put(household.soumisDroitsDevoirs)
        let right = household.right
        put(right.state.rawValue)
        put(right.benefitNature)
        put(right.refusal)
        put(right.rightSuspension)
        put(right.paymentSuspension)
        put(right.closure)
        put(right.earlierMonthClosure)
        for person in household.people {
            mark(UInt8(ascii: "P"))
            put(person.nir?.canonical)
            put(person.civility?.rawValue)
            put(person.surname)
            put(person.birthName)
            put(person.firstName)
            put(person.birthDate?.iso)
            put(person.sex.map(String.init))
            put(person.role.rawValue)
            put(person.franceTravailID?.canonical)
            put(person.soumisDroitsDevoirs)
            put(person.entrantDroitsDevoirs)
        }
        for event in household.events {
            mark(UInt8(ascii: "E"))
            put(event.liquidationDate.iso)
            put(event.liquidationTime)
            put(event.code)
        }
        for anomaly in household.anomalies {
            mark(UInt8(ascii: "N"))
            put(anomaly)
        }
        return String(decoding: out, as: UTF8.self)
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
        let right = RightStatus(
            state: state, benefitNature: next(), refusal: motive(), rightSuspension: motive(),
            paymentSuspension: motive(), closure: motive(), earlierMonthClosure: motive())
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
            default: return nil
            }
        }
        return Household(
            organisme: organisme, organismeNumber: organismeNumber, matricule: matricule,
            rsaRequestNumber: rsaRequestNumber, rsaRequestDate: rsaRequestDate, partnerDepartement: partnerDepartement,
            address: hasAddress ? address : nil, homeless: homeless, soumisDroitsDevoirs: soumis, people: people,
            right: right, events: events, anomalies: anomalies)
    }
}
