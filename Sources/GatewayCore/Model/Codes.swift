/// The organisation paying the RSA to a household.
public enum Organisme: String, Sendable, Codable, CaseIterable {
    /// Caisse d'allocations familiales.
    case caf = "CAF"
    /// Mutualité sociale agricole.
    case msa = "MSA"
}

/// A person's role in an RSA household (`ROLEPERS`).
public enum PersonRole: String, Sendable, Codable, CaseIterable {
    /// Demandeur: the applicant.
    case applicant = "DEM"
    /// Conjoint.
    case spouse = "CJT"
    /// Enfant.
    case child = "ENF"
    /// Autre personne à charge.
    case otherDependant = "AUT"
    /// Responsable du dossier (other than the applicant).
    case fileHolder = "RDO"
}

/// Civility as CNAF writes it (`QUAL`).
public enum Civility: String, Sendable, Codable, CaseIterable {
    case monsieur = "MR"
    case madame = "MME"

    /// The NIR sex digit this civility implies.
    public var sexDigit: Int { self == .monsieur ? 1 : 2 }
}

/// The state of an RSA right (`ETATDOSRSA`).
public enum RightState: String, Sendable, Codable, CaseIterable, Comparable {
    /// Nouvelle demande en attente de décision du conseil départemental.
    case awaitingDecision = "0"
    /// Droit refusé.
    case refused = "1"
    /// Droit ouvert et versable.
    case openPaid = "2"
    /// Droit ouvert et suspendu.
    case openRightSuspended = "3"
    /// Droit ouvert mais versement suspendu.
    case openPaymentSuspended = "4"
    /// Droit clos.
    case closed = "5"
    /// Droit clos sur un mois antérieur.
    case closedEarlierMonth = "6"

    /// French label for reports and notices.
    public var label: String {
        switch self {
        case .awaitingDecision: "nouvelle demande en attente de décision"
        case .refused: "droit refusé"
        case .openPaid: "droit ouvert et versable"
        case .openRightSuspended: "droit ouvert et suspendu"
        case .openPaymentSuspended: "droit ouvert, versement suspendu"
        case .closed: "droit clos"
        case .closedEarlierMonth: "droit clos sur un mois antérieur"
        }
    }

    /// Whether the right is open (paid or suspended), i.e. the household still counts in the RSA caseload.
    public var isOpen: Bool { self == .openPaid || self == .openRightSuspended || self == .openPaymentSuspended }

    /// Whether the right is closed, now or on an earlier month.
    public var isClosed: Bool { self == .closed || self == .closedEarlierMonth }

    public static func < (lhs: RightState, rhs: RightState) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Closure motives (`MOTICLORSA`) with a meaning the gateway acts on.
public enum ClosureMotive {
    /// Moved to another département (`MUT`): the person leaves this département's programmes.
    public static let movedOut = "MUT"
}
