/// How a canonical field's value is read and checked.
public enum FieldKind: String, Sendable, Codable, CaseIterable {
    case text
    case date
    /// A time of day, kept as text `HH:MM:SS`.
    case time
    case boolean
    case integer
    /// A decimal amount, kept as its canonical text (`1234.50`).
    case decimal
    case nir
    case matricule
    case franceTravailID = "france-travail-id"
    case inseeCommune = "insee-commune"
    case postalCode = "postal-code"
    case rome
    case siret
}

/// One field of a canonical entity: its name, kind, and whether it holds personal data.
public struct FieldSpec: Sendable, Hashable {
    public var name: String
    public var kind: FieldKind
    /// Personal data is masked in every report, log and notice.
    public var personal: Bool
    /// Every mapping of this entity must map this field, as required.
    public var mandatory: Bool
    /// The canonical values a code field may take, when closed.
    public var allowed: [String]?
    /// The longest value the field takes, in characters; a text field without one of its own takes
    /// `FieldSpec.defaultTextMaxLength` (a mapping may set another: `max-length:`). A longer value is refused.
    public var maxLength: Int?
    /// The bound of a text field that names none: a partner's cell of megabytes is a mistake, not a datum.
    public static let defaultTextMaxLength = 1_000
    /// What the field means, for the README and `mapping describe`.
    public var doc: String

    public init(
        _ name: String, _ kind: FieldKind, personal: Bool = false, mandatory: Bool = false,
        allowed: [String]? = nil, maxLength: Int? = nil, doc: String
    ) {
        self.name = name
        self.kind = kind
        self.personal = personal
        self.mandatory = mandatory
        self.allowed = allowed
        self.maxLength = maxLength
        self.doc = doc
    }
}

/// A canonical entity: the fields a mapping may fill and its nested collections.
public struct EntitySpec: Sendable {
    public var name: String
    public var fields: [FieldSpec]
    public var collections: [String: EntitySpec]

    public init(name: String, fields: [FieldSpec], collections: [String: EntitySpec] = [:]) {
        self.name = name
        self.fields = fields
        self.collections = collections
    }

    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }
}

/// The canonical entities mappings can target. Partner formats are mapping files; these are the model.
public enum Catalogue {
    /// Looks an entity up by the name a mapping file gives.
    public static func entity(named name: String) -> EntitySpec? {
        switch name {
        case household.name: household
        case fluxHeader.name: fluxHeader
        default: partnerEntities[name] ?? outboundEntities[name]
        }
    }

    /// Which way a flow of this entity goes: `out` for what the gateway writes to partners (candidates, alerts,
    /// rejection notices), `in` for everything it reads.
    public static func direction(ofEntity name: String) -> FlowDirection {
        outboundEntities[name] != nil ? .out : .in
    }

    /// File-level fields: header and trailer of a flux.
    public static let fluxHeader = EntitySpec(
        name: "flux-header",
        fields: [
            FieldSpec("application", .text, maxLength: 3, doc: "Application émettrice (CRI, AGO, NRA…)"),
            FieldSpec("applicationVersion", .text, doc: "Version de l'application émettrice"),
            FieldSpec(
                "kind", .text, allowed: ["M", "I", "R"], doc: "Type de flux : M mensuel, I quotidien, R rattrapage"),
            FieldSpec("nature", .text, doc: "Nature du flux"),
            FieldSpec("createdOn", .date, doc: "Date de création du flux"),
            FieldSpec("referenceDate", .date, doc: "Date de référence du flux"),
            FieldSpec("declaredCount", .integer, doc: "Nombre d'enregistrements annoncés, rapproché des lus"),
        ])

    static let person = EntitySpec(
        name: "person",
        fields: [
            FieldSpec("nir", .nir, personal: true, doc: "NIR (13 ou 15 caractères)"),
            FieldSpec("civility", .text, allowed: ["MR", "MME"], doc: "Civilité"),
            FieldSpec("surname", .text, personal: true, mandatory: true, doc: "Nom d'usage"),
            FieldSpec("birthName", .text, personal: true, doc: "Nom de naissance"),
            FieldSpec("firstName", .text, personal: true, mandatory: true, doc: "Prénom"),
            FieldSpec("birthDate", .date, personal: true, doc: "Date de naissance"),
            FieldSpec("sex", .integer, allowed: ["1", "2"], doc: "Sexe : 1 homme, 2 femme"),
            FieldSpec(
                "role", .text, mandatory: true, allowed: PersonRole.allCases.map(\.rawValue),
                doc: "Rôle dans le foyer RSA"),
            FieldSpec("franceTravailID", .franceTravailID, personal: true, doc: "Identifiant France Travail"),
            FieldSpec("soumisDroitsDevoirs", .boolean, doc: "Soumis à droits et devoirs"),
            FieldSpec("entrantDroitsDevoirs", .boolean, doc: "Entrant dans les droits et devoirs"),
            FieldSpec("activity", .text, maxLength: 3, doc: "Activité professionnelle (Activite/ACT)"),
            FieldSpec("activityStart", .date, doc: "Début de l'activité (DDACT)"),
            FieldSpec("activityEnd", .date, doc: "Fin de l'activité (DFACT)"),
            FieldSpec("contractNature", .text, maxLength: 3, doc: "Nature du contrat de travail (NATCONTRTRA)"),
            FieldSpec(
                "monthlyResources", .decimal,
                doc: "Ressources mensuelles de la personne retenues pour le RSA (MTPERSRESSMENRSA)"),
        ])

    static let cnafEvent = EntitySpec(
        name: "cnaf-event",
        fields: [
            FieldSpec("liquidationDate", .date, mandatory: true, doc: "Date de liquidation"),
            FieldSpec("liquidationTime", .time, doc: "Heure de liquidation"),
            FieldSpec("code", .text, mandatory: true, maxLength: 9, doc: "Fait générateur"),
        ])

    static let anomaly = EntitySpec(
        name: "anomaly", fields: [FieldSpec("label", .text, mandatory: true, doc: "Libellé de l'anomalie")])

    /// An RSA household with its people, right and events (CNAF `InfosFoyerRSA`).
    public static let household = EntitySpec(
        name: "household",
        fields: [
            FieldSpec(
                "organisme", .text, mandatory: true, allowed: Organisme.allCases.map(\.rawValue),
                doc: "Organisme payeur"),
            FieldSpec("organismeNumber", .text, doc: "Numéro d'organisme"),
            FieldSpec("matricule", .matricule, mandatory: true, doc: "Matricule (numéro allocataire)"),
            FieldSpec("rsaRequestNumber", .text, maxLength: 11, doc: "Numéro de demande RSA"),
            FieldSpec("rsaRequestDate", .date, doc: "Date de demande RSA"),
            FieldSpec("partnerDepartement", .text, doc: "Département destinataire"),
            FieldSpec("address.streetNumber", .text, personal: true, doc: "Numéro de voie"),
            FieldSpec("address.streetType", .text, personal: true, doc: "Type de voie"),
            FieldSpec("address.streetName", .text, personal: true, doc: "Nom de voie"),
            FieldSpec("address.complement", .text, personal: true, doc: "Complément d'adresse"),
            FieldSpec("address.locality", .text, personal: true, doc: "Lieu-dit"),
            FieldSpec("address.commune", .inseeCommune, doc: "Code INSEE de la commune"),
            FieldSpec("address.postalCode", .postalCode, doc: "Code postal"),
            FieldSpec("address.communeName", .text, doc: "Commune"),
            FieldSpec("address.country", .text, doc: "Pays"),
            FieldSpec("homeless", .boolean, doc: "Sans domicile fixe"),
            FieldSpec("soumisDroitsDevoirs", .boolean, doc: "Foyer soumis à droits et devoirs"),
            FieldSpec(
                "right.state", .text, mandatory: true, allowed: RightState.allCases.map(\.rawValue),
                doc: "État du dossier RSA"),
            FieldSpec("right.benefitNature", .text, doc: "Nature de la prestation (NATPF)"),
            FieldSpec("right.refusal.date", .date, doc: "Date de refus"),
            FieldSpec("right.refusal.motive", .text, doc: "Motif de refus"),
            FieldSpec("right.rightSuspension.date", .date, doc: "Début de suspension du droit"),
            FieldSpec("right.rightSuspension.motive", .text, doc: "Motif de suspension du droit"),
            FieldSpec("right.paymentSuspension.date", .date, doc: "Début de suspension du versement"),
            FieldSpec("right.paymentSuspension.motive", .text, doc: "Motif de suspension du versement"),
            FieldSpec("right.closure.date", .date, doc: "Date de clôture"),
            FieldSpec("right.closure.motive", .text, doc: "Motif de clôture"),
            FieldSpec("right.earlierMonthClosure.date", .date, doc: "Date de clôture (mois antérieur)"),
            FieldSpec("right.earlierMonthClosure.motive", .text, doc: "Motif de clôture (mois antérieur)"),
            FieldSpec("familySituation", .text, maxLength: 3, doc: "Situation de famille (SITFAM)"),
            FieldSpec("familySituationSince", .date, doc: "Début de la situation de famille (DDSITFAM)"),
            FieldSpec("dependentChildren", .integer, doc: "Enfants et autres personnes à charge (NBENFAUTCHA)"),
            FieldSpec("right.monthlyResources", .decimal, doc: "Ressources mensuelles du foyer (MTRESSMENRSA)"),
            FieldSpec("right.totalAmount", .decimal, doc: "Montant total du droit RSA (MTTOTDRORSA)"),
            FieldSpec("right.paidAmount", .decimal, doc: "Montant de RSA versé (MTRSAVERS)"),
            FieldSpec("right.paidOn", .date, doc: "Date du dernier versement (DTDERRSAVERS)"),
        ],
        collections: ["people": person, "events": cnafEvent, "anomalies": anomaly])
}
