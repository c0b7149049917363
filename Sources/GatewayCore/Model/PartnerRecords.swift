/// The kinds of France Travail enrolment lines: one file per kind in the old CSV, a column in the newer extracts.
public enum EnrolmentKind: String, Sendable, Codable, CaseIterable {
    case inscription, cessation, radiation, stock

    /// `init(rawValue:)` by plain comparisons: the generated one searches a table of the names, and a row screen
    /// reads a kind per row.
    public init?(name: String) {
        switch name {
        case "inscription": self = .inscription
        case "cessation": self = .cessation
        case "radiation": self = .radiation
        case "stock": self = .stock
        default: return nil
        }
    }

    /// A number per kind, for digests.
    var code: UInt64 {
        switch self {
        case .inscription: 1
        case .cessation: 2
        case .radiation: 3
        case .stock: 4
        }
    }
}

/// The state of a Job Connexion profile.
public enum CVProfileStatus: String, Sendable, Codable, CaseIterable {
    case active, incomplete, archived
}

/// Contract types of job posts and hires (France Travail's `typeContrat` codes, plus IAE and apprenticeships).
public enum ContractType: String, Sendable, Codable, CaseIterable {
    case cdi = "CDI"
    case cdd = "CDD"
    /// Mission d'intérim.
    case temporary = "MIS"
    case seasonal = "SAI"
    case workStudy = "ALT"
    /// Insertion par l'activité économique.
    case iae = "IAE"
}

/// How a meeting took place: in person, individual or collective, by telephone or by video.
public enum MeetingMode: String, Sendable, Codable, CaseIterable {
    case individual, collective, telephone, video
}

/// The fiches action of the programmes (see the seeds).
public enum Fiche: String, Sendable, Codable, CaseIterable, Comparable {
    case socialSupport = "1"
    case redynamisation = "4"
    case socioprofessional = "5"
    case jobCoaching = "9"
    /// Isère's parcours emploi renforcé.
    case parcoursEmploiRenforce = "PER"

    public static func < (lhs: Fiche, rhs: Fiche) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How an accompaniment ended in work or training.
public enum ExitType: String, Sendable, Codable, CaseIterable {
    case cdi = "CDI"
    case longFixedTerm = "CDD6+"
    case shortFixedTerm = "CDD6-"
    case temporaryWork = "INTERIM"
    case iae = "IAE"
    case qualifyingTraining = "FORMATION"
    case businessCreation = "CREATION"
}

/// What became of a proposed candidate.
public enum SourcingOutcome: String, Sendable, Codable, CaseIterable {
    case interview
    case hired
    case notRetained = "not-retained"
}

/// The identifiers a partner record gives for a person; the matching cascade reads them in order:
/// NIR (13 first chars) → (organisme, matricule, role) → France Travail id → normalised names and birth date.
public struct PersonIdentity: Sendable, Hashable, Codable {
    public var nir: NIR?
    public var franceTravailID: FranceTravailID?
    public var organisme: Organisme?
    public var matricule: Matricule?
    public var role: PersonRole?
    public var surname: String?
    public var firstName: String?
    public var birthDate: LocalDate?

    public init(
        nir: NIR? = nil, franceTravailID: FranceTravailID? = nil, organisme: Organisme? = nil,
        matricule: Matricule? = nil, role: PersonRole? = nil, surname: String? = nil, firstName: String? = nil,
        birthDate: LocalDate? = nil
    ) {
        self.nir = nir
        self.franceTravailID = franceTravailID
        self.organisme = organisme
        self.matricule = matricule
        self.role = role
        self.surname = surname
        self.firstName = firstName
        self.birthDate = birthDate
    }

    /// Whether anything can be matched on.
    public var isEmpty: Bool {
        nir == nil && franceTravailID == nil && matricule == nil && nameKey == nil
    }

    /// Normalised surname, first name and birth date, when all three are given.
    public var nameKey: String? {
        guard let surname, let firstName, let birthDate else { return nil }
        return NameNormalisation.key(surname) + "|" + NameNormalisation.key(firstName) + "|" + birthDate.iso
    }

    /// A masked label safe for logs and partner notices: the strongest identifier given, masked.
    public var maskedLabel: String {
        if let nir { return nir.masked }
        if let franceTravailID { return "FT " + franceTravailID.masked }
        if let matricule { return (organisme?.rawValue ?? "?") + " " + Masking.identifier(matricule.canonical) }
        if let surname { return Masking.name(surname) }
        return "?"
    }
}

/// A France Travail enrolment line, normalised: whatever the file's layout, the dates land in their own fields.
public struct Enrolment: Sendable, Hashable, Codable {
    public var person: PersonIdentity
    public var franceTravailID: FranceTravailID
    public var kind: EnrolmentKind
    public var category: Int?
    public var startDate: LocalDate?
    public var cessationDate: LocalDate?
    public var cessationReason: String?
    public var radiationDate: LocalDate?
    public var radiationReason: String?
    public var ppaeSignedOn: LocalDate?
    public var lastInterviewOn: LocalDate?
    public var adviser: String?
    public var rome: ROMECode?
    public var commune: INSEECommune?
    public var locality: String?
    public var agency: String?

    public init(
        person: PersonIdentity, franceTravailID: FranceTravailID, kind: EnrolmentKind, category: Int? = nil,
        startDate: LocalDate? = nil, cessationDate: LocalDate? = nil, cessationReason: String? = nil,
        radiationDate: LocalDate? = nil, radiationReason: String? = nil, ppaeSignedOn: LocalDate? = nil,
        lastInterviewOn: LocalDate? = nil, adviser: String? = nil, rome: ROMECode? = nil, commune: INSEECommune? = nil,
        locality: String? = nil, agency: String? = nil
    ) {
        self.person = person
        self.franceTravailID = franceTravailID
        self.kind = kind
        self.category = category
        self.startDate = startDate
        self.cessationDate = cessationDate
        self.cessationReason = cessationReason
        self.radiationDate = radiationDate
        self.radiationReason = radiationReason
        self.ppaeSignedOn = ppaeSignedOn
        self.lastInterviewOn = lastInterviewOn
        self.adviser = adviser
        self.rome = rome
        self.commune = commune
        self.locality = locality
        self.agency = agency
    }

    /// The date the line speaks of: the radiation, the cessation, else the enrolment.
    public var effectiveDate: LocalDate? { radiationDate ?? cessationDate ?? startDate }

    /// Whether the person is still enrolled according to this line.
    public var isEnrolled: Bool {
        cessationDate == nil && radiationDate == nil && kind != .cessation && kind != .radiation
    }
}

/// A CV deposit on Job Connexion.
public struct CVDeposit: Sendable, Hashable, Codable {
    public var person: PersonIdentity
    public var profileID: String
    public var depositedOn: LocalDate?
    public var updatedOn: LocalDate?
    public var profileStatus: CVProfileStatus
    public var visibleToEmployers: Bool?

    public init(
        person: PersonIdentity, profileID: String, depositedOn: LocalDate? = nil, updatedOn: LocalDate? = nil,
        profileStatus: CVProfileStatus, visibleToEmployers: Bool? = nil
    ) {
        self.person = person
        self.profileID = profileID
        self.depositedOn = depositedOn
        self.updatedOn = updatedOn
        self.profileStatus = profileStatus
        self.visibleToEmployers = visibleToEmployers
    }

    /// A CV counts as deposited when there is one, on a profile that is not archived.
    public var isDeposited: Bool { depositedOn != nil && profileStatus != .archived }

    /// The partner name of Job Connexion, the platform the fiches name (« déposé dans Job Connexion »).
    public static let jobConnexion = "job-connexion"
}

/// The employer relations team a post belongs to, from its département.
public enum EmployerTeam: String, Sendable, Codable, CaseIterable {
    /// Bas-Rhin.
    case developpeursEmploi = "developpeurs-emploi"
    /// Haut-Rhin.
    case conseillersRelaisEntreprises = "cre"

    public init?(departement: String) {
        switch departement {
        case "67": self = .developpeursEmploi
        case "68": self = .conseillersRelaisEntreprises
        default: return nil
        }
    }

    public var departement: String { self == .developpeursEmploi ? "67" : "68" }

    public var label: String {
        self == .developpeursEmploi ? "Développeurs Emploi (Bas-Rhin)" : "Conseillers Relais Entreprises (Haut-Rhin)"
    }
}

/// A job post.
public struct JobPost: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var rome: ROMECode
    public var romeLabel: String?
    public var commune: INSEECommune?
    public var postalCode: PostalCode?
    public var communeName: String?
    public var contractType: ContractType
    public var workingTime: String?
    public var employer: String?
    public var siret: SIRET?
    public var createdOn: LocalDate?
    public var positions: Int?
    public var qualification: String?
    /// The département: given, else from the commune, else from the postal code.
    public var territory: String
    /// The day the team closed the post (filled or withdrawn): from then on, nobody more is proposed for it.
    public var closedOn: LocalDate?

    public init(
        id: String, title: String, rome: ROMECode, romeLabel: String? = nil, commune: INSEECommune? = nil,
        postalCode: PostalCode? = nil, communeName: String? = nil, contractType: ContractType,
        workingTime: String? = nil, employer: String? = nil, siret: SIRET? = nil, createdOn: LocalDate? = nil,
        positions: Int? = nil, qualification: String? = nil, territory: String, closedOn: LocalDate? = nil
    ) {
        self.id = id
        self.title = title
        self.rome = rome
        self.romeLabel = romeLabel
        self.commune = commune
        self.postalCode = postalCode
        self.communeName = communeName
        self.contractType = contractType
        self.workingTime = workingTime
        self.employer = employer
        self.siret = siret
        self.createdOn = createdOn
        self.positions = positions
        self.qualification = qualification
        self.territory = territory
        self.closedOn = closedOn
    }

    public var team: EmployerTeam? { EmployerTeam(departement: territory) }

    /// Whether candidates may still be proposed on `day`: not closed by then, and fewer people hired through the
    /// gateway's proposals than the post has positions (one when not said).
    public func isOpen(on day: LocalDate, hired: Int) -> Bool {
        if let closedOn, closedOn <= day { return false }
        return hired < max(1, positions ?? 1)
    }
}

/// One meeting of an accompaniment.
public struct Meeting: Sendable, Hashable, Codable {
    public var date: LocalDate
    public var mode: MeetingMode?
    public var employerRelated: Bool?

    public init(date: LocalDate, mode: MeetingMode?, employerRelated: Bool?) {
        self.date = date
        self.mode = mode
        self.employerRelated = employerRelated
    }
}

/// How and when an accompaniment ended in work or training.
public struct AccompanimentExit: Sendable, Hashable, Codable {
    public var type: ExitType
    public var date: LocalDate?

    public init(
        type: ExitType, date: LocalDate? = nil
    ) {
        self.type = type
        self.date = date
    }

}

/// An operator's accompaniment of a person under a fiche action.
public struct Accompaniment: Sendable, Hashable, Codable {
    public var person: PersonIdentity
    public var id: String
    public var operatorCode: String
    public var fiche: Fiche
    public var referent: String?
    public var startDate: LocalDate
    public var endDate: LocalDate?
    public var cerStart: LocalDate?
    public var cerEnd: LocalDate?
    public var jobReady: Bool?
    /// Since when the person is job-ready, when the operator gives it.
    public var jobReadySince: LocalDate?
    /// The day of the review (bilan) the fiche asks for (fiche 4: after the first 3 or 6 months), when given.
    public var reviewDate: LocalDate?
    public var targetROME: ROMECode?
    /// INSEE commune codes (5 chars) and département codes (2 or 3 chars) the person accepts to work in.
    public var mobility: [String]
    public var exit: AccompanimentExit?
    public var reorientation: String?
    public var reorientationDate: LocalDate?
    public var meetings: [Meeting]

    public init(
        person: PersonIdentity, id: String, operatorCode: String, fiche: Fiche, referent: String? = nil,
        startDate: LocalDate, endDate: LocalDate? = nil, cerStart: LocalDate? = nil, cerEnd: LocalDate? = nil,
        jobReady: Bool? = nil, jobReadySince: LocalDate? = nil, reviewDate: LocalDate? = nil,
        targetROME: ROMECode? = nil, mobility: [String] = [], exit: AccompanimentExit? = nil,
        reorientation: String? = nil, reorientationDate: LocalDate? = nil, meetings: [Meeting] = []
    ) {
        self.person = person
        self.id = id
        self.operatorCode = operatorCode
        self.fiche = fiche
        self.referent = referent
        self.startDate = startDate
        self.endDate = endDate
        self.cerStart = cerStart
        self.cerEnd = cerEnd
        self.jobReady = jobReady
        self.jobReadySince = jobReadySince
        self.reviewDate = reviewDate
        self.targetROME = targetROME
        self.mobility = mobility
        self.exit = exit
        self.reorientation = reorientation
        self.reorientationDate = reorientationDate
        self.meetings = meetings
    }

    /// Whether a place (commune and its département) is within the declared mobility.
    public func accepts(commune: INSEECommune?, departement: String) -> Bool {
        mobility.contains { $0 == departement || $0 == commune?.canonical }
    }
}

/// What became of a proposed candidate.
public struct SourcingFeedback: Sendable, Hashable, Codable {
    public var proposalID: String
    public var postID: String
    public var outcome: SourcingOutcome
    public var date: LocalDate?
    public var contractType: ContractType?
    public var startDate: LocalDate?
    public var reason: String?

    public init(
        proposalID: String, postID: String, outcome: SourcingOutcome, date: LocalDate? = nil,
        contractType: ContractType? = nil, startDate: LocalDate? = nil, reason: String? = nil
    ) {
        self.proposalID = proposalID
        self.postID = postID
        self.outcome = outcome
        self.date = date
        self.contractType = contractType
        self.startDate = startDate
        self.reason = reason
    }

}

/// A canonical record of any partner flow.
public enum PartnerRecord: Sendable, Hashable {
    case enrolment(Enrolment)
    case cvDeposit(CVDeposit)
    case jobPost(JobPost)
    case accompaniment(Accompaniment)
    case sourcingFeedback(SourcingFeedback)

    /// The identity to match, for records about a person.
    public var person: PersonIdentity? {
        switch self {
        case .enrolment(let value): value.person
        case .cvDeposit(let value): value.person
        case .accompaniment(let value): value.person
        case .jobPost, .sourcingFeedback: nil
        }
    }

    /// The record's business key inside its flow: a second record with the same key in one file is a duplicate
    /// (same content) or a conflict (other content).
    public var businessKey: String {
        switch self {
        case .enrolment(let value):
            "\(value.franceTravailID.canonical)|\(value.kind.rawValue)|\(value.effectiveDate?.iso ?? "")"
        case .cvDeposit(let value): value.profileID
        case .jobPost(let value): value.id
        case .accompaniment(let value): value.operatorCode + "|" + value.id
        case .sourcingFeedback(let value): value.proposalID + "|" + value.outcome.rawValue
        }
    }

    /// A 64-bit digest of `businessKey`: records with equal keys have equal digests. An enrolment digests its key's
    /// parts in place (`Enrolment.keyDigest`, a million France Travail rows); the others `KeyDigest.of(businessKey)`.
    public var businessKeyDigest: UInt64 {
        guard case .enrolment(let value) = self else { return KeyDigest.of(businessKey) }
        return value.keyDigest
    }

    /// The business key with personal identifiers masked, for reports.
    public var maskedKey: String {
        switch self {
        case .enrolment(let value):
            "FT \(value.franceTravailID.masked) \(value.kind.rawValue) \(value.effectiveDate?.iso ?? "")"
        case .cvDeposit(let value): "profil " + value.profileID
        case .jobPost(let value): "offre " + value.id
        case .accompaniment(let value): "accompagnement \(value.operatorCode) \(value.id)"
        case .sourcingFeedback(let value): "proposition \(value.proposalID) \(value.outcome.rawValue)"
        }
    }
}

/// The 64-bit digest of a business key (FNV-1a): a million keys checked for repeats in a few dozen MB. A digest
/// collision (about 1 in 10^7 for a million keys) could only report a false repeat in `validate`; the import
/// compares the keys themselves.
public struct KeyDigest: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes {
                value ^= UInt64(byte)
                value = value &* 0x100_0000_01b3
            }
        }
    }

    public static func of(_ key: String) -> UInt64 {
        var digest = KeyDigest()
        digest.add(key)
        return digest.value
    }
}
