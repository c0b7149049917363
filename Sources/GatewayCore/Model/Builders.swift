/// Builds canonical records from mapped fields, with the checks that span several fields.
public enum RecordBuilder {
    /// A household from a mapped `household` record, or the issues that prevent it; plausibility findings are
    /// left out (see `household(from:fileDate:findings:)`).
    public static func household(from bag: FieldBag) -> Result<Household, IssueList> {
        var findings: [ValidationIssue] = []
        return household(from: bag, fileDate: nil, findings: &findings)
    }

    /// A household from a mapped `household` record, or the issues that prevent it (a breach of the format, or
    /// what could not be stored without loss). What the gateway's own checks find beyond that goes to `findings`,
    /// each with its `PlausibilityCheck`: the flow's `CheckPolicy` decides whether it rejects the record.
    /// `fileDate` is the file's own date (creation, else reference), after which no birth or request can be.
    public static func household(
        from bag: FieldBag, fileDate: LocalDate?, findings: inout [ValidationIssue]
    ) -> Result<Household, IssueList> {
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
        var right = RightStatus(
            state: state, benefitNature: bag.text("right.benefitNature"), refusal: motive("right.refusal"),
            rightSuspension: motive("right.rightSuspension"), paymentSuspension: motive("right.paymentSuspension"),
            closure: motive("right.closure"), earlierMonthClosure: motive("right.earlierMonthClosure"))
        right.monthlyResources = bag.text("right.monthlyResources")
        right.totalAmount = bag.text("right.totalAmount")
        right.paidAmount = bag.text("right.paidAmount")
        right.paidOn = bag.date("right.paidOn")
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
                findings += personFindings(person, bag: personBag, fileDate: fileDate)
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
        let applicants = people.filter { $0.role == .applicant }.count
        if !people.isEmpty && applicants == 0 {
            findings.append(
                ValidationIssue(
                    type: .constraintError, field: "people.role", line: bag.line, path: bag.path,
                    message: "Le foyer n'a pas de demandeur (rôle DEM) : chaque dossier RSA en a un.",
                    check: .householdWithoutApplicant))
        } else if applicants > 1 {
            findings.append(
                ValidationIssue(
                    type: .constraintError, field: "people.role", line: bag.line, path: bag.path,
                    message: "Le foyer compte \(applicants) demandeurs (rôle DEM) : un dossier RSA n'en a qu'un.",
                    check: .severalApplicants))
        }
        if let fileDate, let requested = bag.date("rsaRequestDate"), requested > fileDate {
            findings.append(
                bag.issue(
                    .constraintError, field: "rsaRequestDate", value: requested.iso,
                    message:
                        "La date de demande RSA (\(requested.french)) est postérieure à la date du fichier (\(fileDate.french)).",
                    check: .futureDate))
        }
        let events: [CNAFEvent] = (bag.collections["events"] ?? []).compactMap { event in
            guard let date = event.date("liquidationDate"), let code = event.text("code") else { return nil }
            if let fileDate, date > fileDate {
                findings.append(
                    event.issue(
                        .constraintError, field: "liquidationDate", value: date.iso,
                        message:
                            "L'événement \(code) est liquidé le \(date.french), après la date du fichier (\(fileDate.french)).",
                        check: .futureDate))
            }
            return CNAFEvent(liquidationDate: date, liquidationTime: event.text("liquidationTime"), code: code)
        }
        let anomalies = (bag.collections["anomalies"] ?? []).compactMap { $0.text("label") }
        guard issues.isEmpty else { return .failure(IssueList(issues)) }
        var household = Household(
            organisme: organisme, organismeNumber: bag.text("organismeNumber"), matricule: matricule,
            rsaRequestNumber: bag.text("rsaRequestNumber"), rsaRequestDate: bag.date("rsaRequestDate"),
            partnerDepartement: bag.text("partnerDepartement"), address: address,
            homeless: bag.bool("homeless") ?? false, soumisDroitsDevoirs: bag.bool("soumisDroitsDevoirs"),
            people: people, right: right, events: events, anomalies: anomalies)
        household.familySituation = bag.text("familySituation")
        household.familySituationSince = bag.date("familySituationSince")
        household.dependentChildren = bag.integer("dependentChildren")
        return .success(household)
    }

    /// A person from a mapped `person` record.
    public static func person(from bag: FieldBag) -> Result<Person, IssueList> {
        guard let surname = bag.text("surname"), let firstName = bag.text("firstName"),
            let role = bag.text("role").flatMap(PersonRole.init(rawValue:))
        else { return .failure(IssueList([])) }
        var nir: NIR?
        if case .nir(let value)? = bag["nir"] { nir = value }
        var franceTravailID: FranceTravailID?
        if case .franceTravailID(let value)? = bag["franceTravailID"] { franceTravailID = value }
        let civility = bag.text("civility").flatMap(Civility.init(rawValue:))
        var person = Person(
            nir: nir, civility: civility, surname: surname, birthName: bag.text("birthName"),
            firstName: firstName, birthDate: bag.date("birthDate"), sex: bag.integer("sex"), role: role,
            franceTravailID: franceTravailID, soumisDroitsDevoirs: bag.bool("soumisDroitsDevoirs"),
            entrantDroitsDevoirs: bag.bool("entrantDroitsDevoirs"))
        person.activity = bag.text("activity")
        person.activityStart = bag.date("activityStart")
        person.activityEnd = bag.date("activityEnd")
        person.contractNature = bag.text("contractNature")
        person.monthlyResources = bag.text("monthlyResources")
        return .success(person)
    }

    /// What the gateway's own checks find in a person: a NIR that disagrees with the sex, the civility or the
    /// birth date beside it (shifted columns, or a NIR given for someone else); a birth after the file's date.
    public static func personFindings(_ person: Person, bag: FieldBag, fileDate: LocalDate?) -> [ValidationIssue] {
        var findings: [ValidationIssue] = []
        if let nir = person.nir {
            for problem in nir.agreementIssues(
                sex: person.sex, civility: person.civility?.rawValue, birthDate: person.birthDate)
            {
                findings.append(
                    bag.issue(
                        problem.type, field: "nir", value: problem.maskedValue ?? nir.masked, message: problem.message,
                        check: .nirIdentityMismatch))
            }
        }
        if let fileDate, let birthDate = person.birthDate, birthDate > fileDate {
            findings.append(
                bag.issue(
                    .constraintError, field: "birthDate",
                    message: "La date de naissance est postérieure à la date du fichier (\(fileDate.french)).",
                    check: .futureDate))
        }
        return findings
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
