/// Builds canonical records from mapped fields, with the checks that span several fields.
public enum RecordBuilder {
    /// A household from a mapped `household` record, or the issues that prevent it.
    public static func household(from bag: FieldBag) -> Result<Household, IssueList> {
        var issues: [ValidationIssue] = []
        guard let organisme = bag.text("organisme").flatMap(Organisme.init(rawValue:)),
            case .matricule(let matricule)? = bag["matricule"],
            let state = bag.text("right.state").flatMap(RightState.init(rawValue:))
        else {
            // The mapping reported the missing or invalid mandatory field already.
            return .failure(IssueList([]))
        }
        func motive(_ prefix: String) -> DatedMotive? {
            guard let motive = bag.text(prefix + ".motive") else { return nil }
            return DatedMotive(motive: motive, date: bag.date(prefix + ".date"))
        }
        let right = RightStatus(
            state: state, benefitNature: bag.text("right.benefitNature"), refusal: motive("right.refusal"),
            rightSuspension: motive("right.rightSuspension"), paymentSuspension: motive("right.paymentSuspension"),
            closure: motive("right.closure"), earlierMonthClosure: motive("right.earlierMonthClosure"))
        var address: Address?
        if bag.entries.keys.contains(where: { $0.hasPrefix("address.") }) {
            var commune: INSEECommune?
            if case .inseeCommune(let value)? = bag["address.commune"] { commune = value }
            var postalCode: PostalCode?
            if case .postalCode(let value)? = bag["address.postalCode"] { postalCode = value }
            address = Address(
                streetNumber: bag.text("address.streetNumber"), streetType: bag.text("address.streetType"),
                streetName: bag.text("address.streetName"), complement: bag.text("address.complement"),
                locality: bag.text("address.locality"), commune: commune, postalCode: postalCode,
                communeName: bag.text("address.communeName"), country: bag.text("address.country"))
        }
        var people: [Person] = []
        var keys = Set<String>()
        for personBag in bag.collections["people"] ?? [] {
            switch person(from: personBag) {
            case .success(let person):
                if !keys.insert(person.householdKey).inserted {
                    issues.append(
                        personBag.issue(
                            .uniqueError, field: "nir", value: person.maskedLabel,
                            message: "La même personne figure deux fois dans le foyer."))
                }
                people.append(person)
            case .failure(let list): issues.append(contentsOf: list.issues)
            }
        }
        if people.isEmpty && issues.isEmpty {
            issues.append(
                ValidationIssue(
                    type: .missingCell, field: "people", line: bag.line, path: bag.path,
                    message: "Le foyer ne contient aucune personne."))
        }
        if !people.isEmpty && !people.contains(where: { $0.role == .applicant }) {
            issues.append(
                ValidationIssue(
                    type: .constraintError, field: "people.role", line: bag.line, path: bag.path,
                    message: "Le foyer n'a pas de demandeur (rôle DEM) : chaque dossier RSA en a un."))
        }
        let events: [CNAFEvent] = (bag.collections["events"] ?? []).compactMap { event in
            guard let date = event.date("liquidationDate"), let code = event.text("code") else { return nil }
            return CNAFEvent(liquidationDate: date, liquidationTime: event.text("liquidationTime"), code: code)
        }
        let anomalies = (bag.collections["anomalies"] ?? []).compactMap { $0.text("label") }
        guard issues.isEmpty else { return .failure(IssueList(issues)) }
        return .success(
            Household(
                organisme: organisme, organismeNumber: bag.text("organismeNumber"), matricule: matricule,
                rsaRequestNumber: bag.text("rsaRequestNumber"), rsaRequestDate: bag.date("rsaRequestDate"),
                partnerDepartement: bag.text("partnerDepartement"), address: address,
                homeless: bag.bool("homeless") ?? false, soumisDroitsDevoirs: bag.bool("soumisDroitsDevoirs"),
                people: people, right: right, events: events, anomalies: anomalies))
    }

    /// A person from a mapped `person` record; checks the NIR against civility, sex and birth date.
    public static func person(from bag: FieldBag) -> Result<Person, IssueList> {
        guard let surname = bag.text("surname"), let firstName = bag.text("firstName"),
            let role = bag.text("role").flatMap(PersonRole.init(rawValue:))
        else { return .failure(IssueList([])) }
        var nir: NIR?
        if case .nir(let value)? = bag["nir"] { nir = value }
        var franceTravailID: FranceTravailID?
        if case .franceTravailID(let value)? = bag["franceTravailID"] { franceTravailID = value }
        let civility = bag.text("civility").flatMap(Civility.init(rawValue:))
        let person = Person(
            nir: nir, civility: civility, surname: surname, birthName: bag.text("birthName"),
            firstName: firstName, birthDate: bag.date("birthDate"), sex: bag.integer("sex"), role: role,
            franceTravailID: franceTravailID, soumisDroitsDevoirs: bag.bool("soumisDroitsDevoirs"),
            entrantDroitsDevoirs: bag.bool("entrantDroitsDevoirs"))
        if let nir {
            let problems = nir.agreementIssues(
                sex: person.sex, civility: civility?.rawValue, birthDate: person.birthDate)
            if !problems.isEmpty {
                return .failure(
                    IssueList(
                        problems.map {
                            bag.issue($0.type, field: "nir", value: $0.maskedValue ?? nir.masked, message: $0.message)
                        }))
            }
        }
        return .success(person)
    }

    /// The file-level facts of a flux from its mapped header and trailer fields.
    public static func fluxHeader(from bag: FieldBag) -> FluxHeader {
        FluxHeader(
            application: bag.text("application"), applicationVersion: bag.text("applicationVersion"),
            kind: bag.text("kind"), nature: bag.text("nature"), createdOn: bag.date("createdOn"),
            referenceDate: bag.date("referenceDate"), declaredCount: bag.integer("declaredCount"))
    }
}

/// The issues that kept a record out, as an error value.
public struct IssueList: Error, Sendable {
    public var issues: [ValidationIssue]

    public init(_ issues: [ValidationIssue]) { self.issues = issues }
}
