/// Canonical records of the partner flows from their mapped fields, and back to fields for the emitters.
extension RecordBuilder {
    /// Builds the canonical record of `entity` from a mapped record, or the issues that keep it out.
    /// Mandatory fields missing or invalid were reported by the mapping already: they fail with no new issue.
    public static func partnerRecord(entity: String, from bag: FieldBag) -> Result<PartnerRecord, IssueList> {
        var findings: [ValidationIssue] = []
        switch partnerRecord(entity: entity, from: bag, findings: &findings) {
        case .success(let record) where findings.isEmpty: return .success(record)
        case .success: return .failure(IssueList(findings))
        case .failure(let list): return .failure(IssueList(list.issues + findings))
        }
    }

    /// As `partnerRecord(entity:from:)`, the gateway's own checks' findings apart in `findings` (each with its
    /// `PlausibilityCheck`): the flow's `CheckPolicy` decides whether they refuse the record.
    public static func partnerRecord(
        entity: String, from bag: FieldBag, findings: inout [ValidationIssue]
    ) -> Result<PartnerRecord, IssueList> {
        var issues: [ValidationIssue] = []
        let record: PartnerRecord?
        switch entity {
        case Catalogue.enrolment.name: record = enrolment(bag, &issues).map(PartnerRecord.enrolment)
        case Catalogue.cvDeposit.name: record = cvDeposit(bag, &issues).map(PartnerRecord.cvDeposit)
        case Catalogue.jobPost.name: record = jobPost(bag, &issues).map(PartnerRecord.jobPost)
        case Catalogue.accompaniment.name: record = accompaniment(bag, &issues).map(PartnerRecord.accompaniment)
        case Catalogue.sourcingFeedback.name:
            record = sourcingFeedback(bag, &issues).map(PartnerRecord.sourcingFeedback)
        default:
            record = nil
            issues.append(
                ValidationIssue(
                    type: .structureError, line: bag.line, path: bag.path,
                    message: Catalogue.outboundEntities[entity] != nil
                        ? "Entité « \(entity) » : flux sortant, écrit par la passerelle, il ne s'importe pas."
                        : "Entité « \(entity) » inconnue de la passerelle."))
        }
        findings += issues.filter { $0.check != nil }
        let breaches = issues.filter { $0.check == nil }
        guard let record, breaches.isEmpty else { return .failure(IssueList(breaches)) }
        return .success(record)
    }

    /// The identity fields, with the checks that catch shifted columns: the two NIRs of a France Travail line
    /// must agree, and a NIR must agree with the birth date given beside it.
    static func identity(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> PersonIdentity {
        var problems: [RecordProblem] = []
        var identity = PersonIdentity.assemble(
            PersonIdentity.typedFields.map { bag[$0] }, texts: PersonIdentity.textFields.map { bag.text($0) },
            problems: &problems)
        report(problems, bag, &issues)
        if identity.matricule != nil && identity.organisme == nil {
            identity.organisme = .caf
        }
        return identity
    }

    /// Problems found on typed values, located at their field's origin in the file.
    private static func report(_ problems: [RecordProblem], _ bag: FieldBag, _ issues: inout [ValidationIssue]) {
        for problem in problems {
            issues.append(
                bag.issue(
                    problem.type, field: problem.field, value: problem.value, message: problem.message,
                    check: problem.check))
        }
    }

    /// A record about a person must name them somehow.
    private static func requireIdentity(_ person: PersonIdentity, _ bag: FieldBag, _ issues: inout [ValidationIssue]) {
        guard person.isEmpty else { return }
        issues.append(
            ValidationIssue(
                type: .missingCell, field: "person.nir", line: bag.line, path: bag.path,
                message:
                    "Aucun identifiant de la personne (NIR, identifiant France Travail, matricule, ou nom, prénom et date de naissance)."
            ))
    }

    private static func ordered(
        _ bag: FieldBag, _ first: String, _ second: String, _ issues: inout [ValidationIssue], message: String
    ) {
        if let start = bag.date(first), let end = bag.date(second), end < start {
            issues.append(bag.issue(.constraintError, field: second, value: end.iso, message: message))
        }
    }

    static func enrolment(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> Enrolment? {
        var problems: [RecordProblem] = []
        let enrolment = Enrolment.assemble(
            Enrolment.typedFields.map { bag[$0] }, texts: Enrolment.textFields.map { bag.text($0) },
            absent: { !bag.contains($0) }, problems: &problems)
        report(problems, bag, &issues)
        return enrolment
    }

    static func cvDeposit(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> CVDeposit? {
        let person = identity(bag, &issues)
        guard let profileID = bag.text("profileID"),
            let status = bag.text("profileStatus").flatMap(CVProfileStatus.init(rawValue:))
        else { return nil }
        requireIdentity(person, bag, &issues)
        ordered(
            bag, "depositedOn", "updatedOn", &issues, message: "La date de mise à jour précède la date de dépôt du CV.")
        return CVDeposit(
            person: person, profileID: profileID, depositedOn: bag.date("depositedOn"),
            updatedOn: bag.date("updatedOn"),
            profileStatus: status, visibleToEmployers: bag.bool("visibleToEmployers"))
    }

    static func jobPost(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> JobPost? {
        guard let id = bag.text("id"), let title = bag.text("title"), case .rome(let rome)? = bag["rome"],
            let contract = bag.text("contractType").flatMap(ContractType.init(rawValue:))
        else { return nil }
        var commune: INSEECommune?
        if case .inseeCommune(let value)? = bag["commune"] { commune = value }
        var postalCode: PostalCode?
        if case .postalCode(let value)? = bag["postalCode"] { postalCode = value }
        var siret: SIRET?
        if case .siret(let value)? = bag["siret"] { siret = value }
        let derived = commune?.departement ?? postalCode.map { String($0.canonical.prefix(2)) }
        guard let territory = bag.text("territory") ?? derived else {
            issues.append(
                ValidationIssue(
                    type: .missingCell, field: "territory", line: bag.line, path: bag.path,
                    message: "Lieu de travail absent : ni département, ni commune, ni code postal."))
            return nil
        }
        if EmployerTeam(departement: territory) == nil {
            issues.append(
                bag.issue(
                    .constraintError, field: bag.contains("territory") ? "territory" : "commune", value: territory,
                    message:
                        "Offre hors Bas-Rhin et Haut-Rhin (département \(territory)) : aucune équipe entreprises ne la suit."
                ))
        }
        if let given = bag.text("territory"), let derived, given != derived {
            issues.append(
                bag.issue(
                    .constraintError, field: "territory", value: given,
                    message: "Le département \(given) ne correspond pas au lieu de travail (\(derived))."))
        }
        if let positions = bag.integer("positions"), positions < 1 {
            issues.append(
                bag.issue(
                    .constraintError, field: "positions", value: String(positions),
                    message: "Le nombre de postes doit être au moins 1."))
        }
        return JobPost(
            id: id, title: title, rome: rome, romeLabel: bag.text("romeLabel"), commune: commune,
            postalCode: postalCode, communeName: bag.text("communeName"), contractType: contract,
            workingTime: bag.text("workingTime"), employer: bag.text("employer"), siret: siret,
            createdOn: bag.date("createdOn"), positions: bag.integer("positions"),
            qualification: bag.text("qualification"), territory: territory, closedOn: bag.date("closedOn"))
    }

    /// Mobility tokens: INSEE commune codes (5 chars) or département codes (`67`, `2A`, `974`).
    static func mobility(_ text: String?) -> (codes: [String], invalid: [String]) {
        guard let text else { return ([], []) }
        var codes: [String] = []
        var invalid: [String] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "|" || $0 == ";" }) {
            let code = token.uppercased()
            if (try? INSEECommune(validating: code)) != nil {
                codes.append(code)
            } else if isDepartement(code) {
                codes.append(code)
            } else {
                invalid.append(code)
            }
        }
        return (codes, invalid)
    }

    static func isDepartement(_ code: String) -> Bool {
        if code == "2A" || code == "2B" { return true }
        guard code.allSatisfy(\.isASCII), let number = Int(code) else { return false }
        switch code.count {
        case 2: return number >= 1 && number <= 95 && number != 20
        case 3: return number >= 971 && number <= 976
        default: return false
        }
    }

    static func accompaniment(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> Accompaniment? {
        let person = identity(bag, &issues)
        guard let id = bag.text("id"), let operatorCode = bag.text("operator"),
            let fiche = bag.text("fiche").flatMap(Fiche.init(rawValue:)), let start = bag.date("startDate")
        else { return nil }
        requireIdentity(person, bag, &issues)
        ordered(bag, "startDate", "endDate", &issues, message: "La fin de l'accompagnement précède son début.")
        ordered(bag, "cerStart", "cerEnd", &issues, message: "La fin du CER précède son début.")
        let (codes, invalid) = mobility(bag.text("mobility"))
        if !invalid.isEmpty {
            issues.append(
                bag.issue(
                    .constraintError, field: "mobility", value: invalid.joined(separator: " "),
                    message:
                        "Mobilité : « \(invalid.joined(separator: " "))» n'est ni un code commune INSEE (5 caractères) ni un département."
                ))
        }
        var exit: AccompanimentExit?
        if let type = bag.text("exit.type").flatMap(ExitType.init(rawValue:)) {
            exit = AccompanimentExit(type: type, date: bag.date("exit.date"))
            if exit?.date == nil {
                issues.append(
                    ValidationIssue(
                        type: .missingCell, field: "exit.date", line: bag.line, path: bag.path,
                        message: "Sortie sans date : indiquer la date de la sortie."))
            }
        } else if bag.contains("exit.date") {
            issues.append(
                bag.issue(.missingCell, field: "exit.type", message: "Date de sortie sans type de sortie."))
        }
        var meetings: [Meeting] = []
        for meeting in bag.collections["meetings"] ?? [] {
            guard let date = meeting.date("date") else { continue }
            if date < start {
                issues.append(
                    meeting.issue(
                        .constraintError, field: "date", value: date.iso,
                        message: "Rendez-vous antérieur au début de l'accompagnement."))
            }
            meetings.append(
                Meeting(
                    date: date, mode: meeting.text("mode").flatMap(MeetingMode.init(rawValue:)),
                    employerRelated: meeting.bool("employerRelated")))
        }
        meetings.sort { $0.date < $1.date }
        var targetROME: ROMECode?
        if case .rome(let rome)? = bag["targetROME"] { targetROME = rome }
        return Accompaniment(
            person: person, id: id, operatorCode: operatorCode, fiche: fiche, referent: bag.text("referent"),
            startDate: start, endDate: bag.date("endDate"), cerStart: bag.date("cerStart"), cerEnd: bag.date("cerEnd"),
            jobReady: bag.bool("jobReady"), jobReadySince: bag.date("jobReadySince"),
            reviewDate: bag.date("reviewDate"),
            targetROME: targetROME, mobility: codes, exit: exit,
            reorientation: bag.text("reorientation"), reorientationDate: bag.date("reorientationDate"),
            meetings: meetings)
    }

    static func sourcingFeedback(_ bag: FieldBag, _ issues: inout [ValidationIssue]) -> SourcingFeedback? {
        guard let proposal = bag.text("proposalID"), let post = bag.text("postID"),
            let outcome = bag.text("outcome").flatMap(SourcingOutcome.init(rawValue:))
        else { return nil }
        let contract = bag.text("contractType").flatMap(ContractType.init(rawValue:))
        if outcome == .hired && contract == nil {
            issues.append(
                ValidationIssue(
                    type: .missingCell, field: "contractType", line: bag.line, path: bag.path,
                    message: "Embauche sans type de contrat : indiquer CDI, CDD, MIS…"))
        }
        return SourcingFeedback(
            proposalID: proposal, postID: post, outcome: outcome, date: bag.date("date"), contractType: contract,
            startDate: bag.date("startDate"), reason: bag.text("reason"))
    }
}

/// A canonical record as field texts, named as in the catalogue: what the emitters write through a mapping.
public struct CanonicalFields: Sendable, Hashable {
    public var values: [String: String]
    public var collections: [String: [CanonicalFields]]

    public init(values: [String: String] = [:], collections: [String: [CanonicalFields]] = [:]) {
        self.values = values
        self.collections = collections
    }

    public subscript(name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

extension PersonIdentity {
    /// The identity fields, for the emitters (which decide which of them a partner may receive).
    public var fields: [String: String] {
        var values: [String: String] = [:]
        values["person.nir"] = nir?.canonical
        values["person.franceTravailID"] = franceTravailID?.canonical
        values["person.organisme"] = matricule == nil ? nil : organisme?.rawValue
        values["person.matricule"] = matricule?.canonical
        values["person.role"] = role?.rawValue
        values["person.surname"] = surname
        values["person.firstName"] = firstName
        values["person.birthDate"] = birthDate?.iso
        return values
    }
}

extension PartnerRecord {
    /// The record as canonical field texts: read by a mapping, it gives this record back.
    public var fields: CanonicalFields {
        var out = CanonicalFields()
        switch self {
        case .enrolment(let value):
            out.values = value.person.fields
            out["person.franceTravailID"] = value.franceTravailID.canonical
            out["kind"] = value.kind.rawValue
            out["category"] = value.category.map(String.init)
            out["startDate"] = value.startDate?.iso
            out["cessationDate"] = value.cessationDate?.iso
            out["cessationReason"] = value.cessationReason
            out["radiationDate"] = value.radiationDate?.iso
            out["radiationReason"] = value.radiationReason
            out["ppaeSignedOn"] = value.ppaeSignedOn?.iso
            out["lastInterviewOn"] = value.lastInterviewOn?.iso
            out["adviser"] = value.adviser
            out["rome"] = value.rome?.canonical
            out["commune"] = value.commune?.canonical
            out["locality"] = value.locality
            out["agency"] = value.agency
            // The old per-kind files carry one date and one reason column.
            out["eventDate"] = value.effectiveDate?.iso
            out["reason"] = value.radiationReason ?? value.cessationReason
        case .cvDeposit(let value):
            out.values = value.person.fields
            out["profileID"] = value.profileID
            out["depositedOn"] = value.depositedOn?.iso
            out["updatedOn"] = value.updatedOn?.iso
            out["profileStatus"] = value.profileStatus.rawValue
            out["visibleToEmployers"] = value.visibleToEmployers.map { $0 ? "1" : "0" }
        case .jobPost(let value):
            out["id"] = value.id
            out["title"] = value.title
            out["rome"] = value.rome.canonical
            out["romeLabel"] = value.romeLabel
            out["commune"] = value.commune?.canonical
            out["postalCode"] = value.postalCode?.canonical
            out["communeName"] = value.communeName
            out["contractType"] = value.contractType.rawValue
            out["workingTime"] = value.workingTime
            out["employer"] = value.employer
            out["siret"] = value.siret?.canonical
            out["createdOn"] = value.createdOn?.iso
            out["positions"] = value.positions.map(String.init)
            out["qualification"] = value.qualification
            out["territory"] = value.territory
        case .accompaniment(let value):
            out.values = value.person.fields
            out["id"] = value.id
            out["operator"] = value.operatorCode
            out["fiche"] = value.fiche.rawValue
            out["referent"] = value.referent
            out["startDate"] = value.startDate.iso
            out["endDate"] = value.endDate?.iso
            out["cerStart"] = value.cerStart?.iso
            out["cerEnd"] = value.cerEnd?.iso
            out["jobReady"] = value.jobReady.map { $0 ? "1" : "0" }
            out["jobReadySince"] = value.jobReadySince?.iso
            out["reviewDate"] = value.reviewDate?.iso
            out["targetROME"] = value.targetROME?.canonical
            out["mobility"] = value.mobility.isEmpty ? nil : value.mobility.joined(separator: " ")
            out["exit.type"] = value.exit?.type.rawValue
            out["exit.date"] = value.exit?.date?.iso
            out["reorientation"] = value.reorientation
            out["reorientationDate"] = value.reorientationDate?.iso
            out.collections["meetings"] = value.meetings.map { meeting in
                var fields = CanonicalFields()
                fields["date"] = meeting.date.iso
                fields["mode"] = meeting.mode?.rawValue
                fields["employerRelated"] = meeting.employerRelated.map { $0 ? "1" : "0" }
                return fields
            }
        case .sourcingFeedback(let value):
            out["proposalID"] = value.proposalID
            out["postID"] = value.postID
            out["outcome"] = value.outcome.rawValue
            out["date"] = value.date?.iso
            out["contractType"] = value.contractType?.rawValue
            out["startDate"] = value.startDate?.iso
            out["reason"] = value.reason
        }
        return out
    }
}
