/// A check the gateway makes beyond the partner's published format. Its finding is an anomaly: the record is
/// applied and the anomaly stored with it, unless the flow's mapping sets the check to `reject`
/// (`checks: { household-without-applicant: reject }`). `docs/checks.md` describes each one.
public enum PlausibilityCheck: String, Sendable, Codable, CaseIterable {
    /// A CNAF household none of whose members has the RSA role DEM (demandeur).
    case householdWithoutApplicant = "household-without-applicant"
    /// A CNAF household with more than one member whose RSA role is DEM.
    case severalApplicants = "several-applicants"
    /// A NIR that disagrees with the sex, the civility or the birth date given beside it.
    case nirIdentityMismatch = "nir-identity-mismatch"
    /// The same person (NIR) in two households of one file.
    case personInSeveralHouseholds = "person-in-several-households"
    /// A birth date or a request date later than the file's own date.
    case futureDate = "future-date"
    /// A declared record count (`NBTOTDOSRSATRANSM`) that disagrees with the records of a complete, well-formed file.
    case countMismatch = "count-mismatch"
    /// Bytes that contradict the declared or pinned encoding, decoded as what they certainly are.
    case encodingMismatch = "encoding-mismatch"

    /// What the check does when a flow's mapping says nothing of it.
    public var defaultSeverity: CheckSeverity { .warn }

    /// The check's name in French, for reports and notices.
    public var label: String {
        switch self {
        case .householdWithoutApplicant: "foyer sans demandeur"
        case .severalApplicants: "foyer à plusieurs demandeurs"
        case .nirIdentityMismatch: "NIR en désaccord avec l'identité"
        case .personInSeveralHouseholds: "personne dans plusieurs foyers du fichier"
        case .futureDate: "date postérieure au fichier"
        case .countMismatch: "nombre déclaré différent du nombre lu"
        case .encodingMismatch: "octets contraires à l'encodage déclaré"
        }
    }
}

/// What a plausibility check does with its finding.
public enum CheckSeverity: String, Sendable, Codable, CaseIterable {
    /// The record is applied; the anomaly is stored, counted and reported.
    case warn
    /// The record is quarantined (or, for a file-level check, the file refused) with the finding as its error.
    case reject
    /// The check is not made.
    case off
}

/// The severities a flow gives its checks: the mapping's `checks:` over each check's default.
public struct CheckPolicy: Sendable, Hashable {
    public private(set) var overrides: [PlausibilityCheck: CheckSeverity]

    public init(_ overrides: [PlausibilityCheck: CheckSeverity] = [:]) { self.overrides = overrides }

    public subscript(check: PlausibilityCheck) -> CheckSeverity { overrides[check] ?? check.defaultSeverity }

    /// Sorts findings: those of a check set to `reject` become errors, `off` ones go, the others stay anomalies.
    public func split(_ findings: [ValidationIssue]) -> (errors: [ValidationIssue], anomalies: [ValidationIssue]) {
        guard !findings.isEmpty else { return ([], []) }
        var errors: [ValidationIssue] = []
        var anomalies: [ValidationIssue] = []
        for finding in findings {
            switch finding.check.flatMap(PlausibilityCheck.init(rawValue:)).map({ self[$0] }) ?? .reject {
            case .reject: errors.append(finding)
            case .warn: anomalies.append(finding)
            case .off: break
            }
        }
        return (errors, anomalies)
    }
}
