/// A postal address in France as CNAF sends it (`AdresseDetailleeFrance`). Personal data: never logged.
public struct Address: Sendable, Hashable, Codable {
    public var streetNumber: String?
    public var streetType: String?
    public var streetName: String?
    public var complement: String?
    public var locality: String?
    /// INSEE commune code (`NUMCOM`); its first characters give the département.
    public var commune: INSEECommune?
    public var postalCode: PostalCode?
    public var communeName: String?
    public var country: String?

    public init(
        streetNumber: String? = nil, streetType: String? = nil, streetName: String? = nil,
        complement: String? = nil, locality: String? = nil, commune: INSEECommune? = nil,
        postalCode: PostalCode? = nil, communeName: String? = nil, country: String? = nil
    ) {
        self.streetNumber = streetNumber
        self.streetType = streetType
        self.streetName = streetName
        self.complement = complement
        self.locality = locality
        self.commune = commune
        self.postalCode = postalCode
        self.communeName = communeName
        self.country = country
    }

    /// The département the address is in, from the INSEE commune code.
    public var departement: String? { commune?.departement }
}

/// A dated motive: a refusal, a suspension or a closure of an RSA right.
public struct DatedMotive: Sendable, Hashable, Codable {
    public var motive: String
    public var date: LocalDate?

    public init(motive: String, date: LocalDate?) {
        self.motive = motive
        self.date = date
    }
}

/// The state of a household's RSA right, with the reasons and dates CNAF gives (`SituationDossierRSA`).
public struct RightStatus: Sendable, Hashable, Codable {
    public var state: RightState
    /// Nature of the benefit (`NATPF`: RSD socle, RSI socle majoré, RCD activité…).
    public var benefitNature: String?
    public var refusal: DatedMotive?
    public var rightSuspension: DatedMotive?
    public var paymentSuspension: DatedMotive?
    /// `FinDroit`.
    public var closure: DatedMotive?
    /// `FinDroitMoisAnterieur`.
    public var earlierMonthClosure: DatedMotive?

    public init(
        state: RightState, benefitNature: String? = nil, refusal: DatedMotive? = nil,
        rightSuspension: DatedMotive? = nil, paymentSuspension: DatedMotive? = nil, closure: DatedMotive? = nil,
        earlierMonthClosure: DatedMotive? = nil
    ) {
        self.state = state
        self.benefitNature = benefitNature
        self.refusal = refusal
        self.rightSuspension = rightSuspension
        self.paymentSuspension = paymentSuspension
        self.closure = closure
        self.earlierMonthClosure = earlierMonthClosure
    }

    /// The closure that applies, whichever block carried it.
    public var effectiveClosure: DatedMotive? { closure ?? earlierMonthClosure }

    /// Amounts of the right as CNAF computed them, as decimal text (`MontantsCalculDroitRSA`,
    /// `DetailCalculDroitRSA`): the household's monthly resources, the whole right, what was paid and when.
    public var monthlyResources: String?
    public var totalAmount: String?
    public var paidAmount: String?
    public var paidOn: LocalDate?
}

/// A member of an RSA household. Names, NIR and birth date are personal data: never logged.
public struct Person: Sendable, Hashable, Codable {
    public var nir: NIR?
    public var civility: Civility?
    public var surname: String
    public var birthName: String?
    public var firstName: String
    public var birthDate: LocalDate?
    /// `SEXE`: 1 male, 2 female.
    public var sex: Int?
    public var role: PersonRole
    /// France Travail (ex Pôle emploi) job-seeker id (`IDASSEDIC`).
    public var franceTravailID: FranceTravailID?
    /// `TOPPERSDRODEVORSA`: soumis à droits et devoirs, the public of every fiche action.
    public var soumisDroitsDevoirs: Bool?
    /// `TOPPERSENTDRODEVORSA`: entering the droits et devoirs scope this month.
    public var entrantDroitsDevoirs: Bool?
    /// Professional activity as CNAF codes it (`Activite/ACT`), with its dates and contract nature.
    public var activity: String?
    public var activityStart: LocalDate?
    public var activityEnd: LocalDate?
    public var contractNature: String?
    /// The person's monthly resources retained for the RSA (`MTPERSRESSMENRSA`), decimal text.
    public var monthlyResources: String?

    public init(
        nir: NIR? = nil, civility: Civility? = nil, surname: String, birthName: String? = nil,
        firstName: String, birthDate: LocalDate? = nil, sex: Int? = nil, role: PersonRole,
        franceTravailID: FranceTravailID? = nil, soumisDroitsDevoirs: Bool? = nil,
        entrantDroitsDevoirs: Bool? = nil
    ) {
        self.nir = nir
        self.civility = civility
        self.surname = surname
        self.birthName = birthName
        self.firstName = firstName
        self.birthDate = birthDate
        self.sex = sex
        self.role = role
        self.franceTravailID = franceTravailID
        self.soumisDroitsDevoirs = soumisDroitsDevoirs
        self.entrantDroitsDevoirs = entrantDroitsDevoirs
    }

    /// The key that identifies this person inside a household across files: the NIR's first 13 characters,
    /// else the role with the normalised names and birth date.
    public var householdKey: String {
        if let nir { return "NIR:" + nir.base13 }
        return "NOM:" + role.rawValue + ":" + NameNormalisation.key(surname) + ":"
            + NameNormalisation.key(firstName) + ":" + (birthDate?.iso ?? "")
    }

    /// A masked label safe for logs and partner notices.
    public var maskedLabel: String {
        if let nir { return nir.masked }
        return role.rawValue + " " + Masking.name(surname)
    }
}

/// A CNAF event (`Evenement`): the liquidation date and time and the code of what changed (`FG`).
public struct CNAFEvent: Sendable, Hashable, Codable {
    public var liquidationDate: LocalDate
    public var liquidationTime: String?
    /// Fait générateur.
    public var code: String

    public init(liquidationDate: LocalDate, liquidationTime: String?, code: String) {
        self.liquidationDate = liquidationDate
        self.liquidationTime = liquidationTime
        self.code = code
    }
}

/// An RSA household as one CNAF file states it (`InfosFoyerRSA`).
public struct Household: Sendable, Hashable, Codable {
    public var organisme: Organisme
    /// `NUMORG`: the paying office (e.g. 671).
    public var organismeNumber: String?
    public var matricule: Matricule
    /// `NUMDEMRSA`.
    public var rsaRequestNumber: String?
    public var rsaRequestDate: LocalDate?
    /// The département the file is addressed to (`Partenaire/IDEPARTE`).
    public var partnerDepartement: String?
    public var address: Address?
    /// `TOPSANSDOMFIXE`.
    public var homeless: Bool
    /// `TOPFOYDRODEVORSA`.
    public var soumisDroitsDevoirs: Bool?
    public var people: [Person]
    public var right: RightStatus
    public var events: [CNAFEvent]
    /// `Anomalie/LIBANO`.
    public var anomalies: [String]
    /// `SituationFamille/SITFAM` and its start (`DDSITFAM`).
    public var familySituation: String?
    public var familySituationSince: LocalDate?
    /// `NBENFAUTCHA`: children and other dependants.
    public var dependentChildren: Int?

    public init(
        organisme: Organisme, organismeNumber: String? = nil, matricule: Matricule, rsaRequestNumber: String? = nil,
        rsaRequestDate: LocalDate? = nil, partnerDepartement: String? = nil, address: Address? = nil,
        homeless: Bool = false, soumisDroitsDevoirs: Bool? = nil, people: [Person], right: RightStatus,
        events: [CNAFEvent] = [], anomalies: [String] = []
    ) {
        self.organisme = organisme
        self.organismeNumber = organismeNumber
        self.matricule = matricule
        self.rsaRequestNumber = rsaRequestNumber
        self.rsaRequestDate = rsaRequestDate
        self.partnerDepartement = partnerDepartement
        self.address = address
        self.homeless = homeless
        self.soumisDroitsDevoirs = soumisDroitsDevoirs
        self.people = people
        self.right = right
        self.events = events
        self.anomalies = anomalies
    }

    /// The business key households are upserted on.
    public var key: HouseholdKey { HouseholdKey(organisme: organisme, matricule: matricule) }
}

/// A household's business key: the paying organisation and the normalised matricule.
public struct HouseholdKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var organisme: Organisme
    public var matricule: Matricule

    public init(organisme: Organisme, matricule: Matricule) {
        self.organisme = organisme
        self.matricule = matricule
    }

    /// Masked, for logs and partner notices.
    public var description: String { organisme.rawValue + " " + Masking.identifier(matricule.canonical) }
}

/// File-level facts of a flux: who sent it, for which period, and how many records it declares.
public struct FluxHeader: Sendable, Hashable, Codable {
    public var application: String?
    public var applicationVersion: String?
    /// `TYPEFLUX`: M monthly, I daily, R catch-up.
    public var kind: String?
    /// `NATFLUX`.
    public var nature: String?
    public var createdOn: LocalDate?
    public var referenceDate: LocalDate?
    /// `NBTOTDOSRSATRANSM`, to reconcile against the records read.
    public var declaredCount: Int?

    public init(
        application: String? = nil, applicationVersion: String? = nil, kind: String? = nil,
        nature: String? = nil, createdOn: LocalDate? = nil, referenceDate: LocalDate? = nil,
        declaredCount: Int? = nil
    ) {
        self.application = application
        self.applicationVersion = applicationVersion
        self.kind = kind
        self.nature = nature
        self.createdOn = createdOn
        self.referenceDate = referenceDate
        self.declaredCount = declaredCount
    }

    /// A monthly flux lists every household: one missing from it is a change in itself.
    public var isMonthly: Bool { kind == "M" }
}
