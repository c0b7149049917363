/// What the insertion dashboard shows, filled by the caller (from the store) and turned into one HTML page by
/// `DashboardRenderer`. Plain values only: every text is escaped by the renderer, every rate is a fraction in 0…1
/// (`nil` when its denominator is 0, shown as "—").
public struct DashboardData: Sendable, Equatable {
    /// The page's title (the `<title>` and the `<h1>`).
    public var title: String
    /// The day the page was produced, ISO (`2026-11-02`): « édité le ».
    public var generatedOn: String
    /// The period the figures cover, stated apart from the day of production.
    public var period: DashboardPeriod
    /// The figures a manager reads first; nil: no headline block.
    public var headline: DashboardHeadline?
    /// Each programme's results per structure and référent: the drill-down under the structures' rows.
    public var programmesByReferent: [ProgrammeRow] = []
    /// CV deposit per référent, with who is missing: the drill-down under the structures.
    public var cvByReferent: [CVReferentRow] = []
    /// Findings by structure and référent, per severity.
    public var findingsByPlace: [FindingPlaceRow] = []
    /// Isère's PER indicators, in total then per structure.
    public var per: [PERRow] = []
    /// What the PER covers (territory, period), printed with its indicators.
    public var perNote: String?
    /// One row per programme (fiche action), for every structure or for one.
    public var programmes: [ProgrammeRow]
    /// CV deposit on the job platform, per programme and structure.
    public var cvDeposit: [CVDepositRow]
    /// Entries and exits per month, in the order they are to be shown.
    public var monthly: [MonthRow]
    /// The rules' findings per severity, in the order they are to be shown.
    public var findings: [SeverityCount]
    /// Free remarks printed at the end of the page (sources, caveats).
    public var notes: [String]

    public init(
        title: String, generatedOn: String, period: DashboardPeriod, programmes: [ProgrammeRow] = [],
        cvDeposit: [CVDepositRow] = [], monthly: [MonthRow] = [], findings: [SeverityCount] = [],
        notes: [String] = []
    ) {
        self.title = title
        self.generatedOn = generatedOn
        self.period = period
        self.programmes = programmes
        self.cvDeposit = cvDeposit
        self.monthly = monthly
        self.findings = findings
        self.notes = notes
    }
}

/// The headline: people accompanied, CV deposit against 100 %, return to work against target, critical findings.
public struct DashboardHeadline: Sendable, Equatable {
    public var accompanied: Int
    /// Job-ready people in a programme asking for a CV, and those whose CV counts.
    public var cvJobReady: Int
    public var cvDeposited: Int
    /// The required share, 0…1 (1: 100 %).
    public var cvTarget: Double
    /// Accompaniments with an exit to work or training in the period, over those accompanied in a programme with
    /// a target.
    public var returnToWork: Int
    public var returnToWorkOutOf: Int
    /// The programmes' targets weighted by their people accompanied, 0…1; nil when no programme has one.
    public var returnToWorkTarget: Double?
    public var criticalFindings: Int
    public var findings: Int

    public init(
        accompanied: Int, cvJobReady: Int, cvDeposited: Int, cvTarget: Double, returnToWork: Int,
        returnToWorkOutOf: Int, returnToWorkTarget: Double?, criticalFindings: Int, findings: Int
    ) {
        self.accompanied = accompanied
        self.cvJobReady = cvJobReady
        self.cvDeposited = cvDeposited
        self.cvTarget = cvTarget
        self.returnToWork = returnToWork
        self.returnToWorkOutOf = returnToWorkOutOf
        self.returnToWorkTarget = returnToWorkTarget
        self.criticalFindings = criticalFindings
        self.findings = findings
    }

    /// 0…1, nil when nobody is job-ready.
    public var cvRate: Double? { cvJobReady == 0 ? nil : Double(cvDeposited) / Double(cvJobReady) }
    /// 0…1, nil when nobody is counted.
    public var returnToWorkRate: Double? {
        returnToWorkOutOf == 0 ? nil : Double(returnToWork) / Double(returnToWorkOutOf)
    }
}

/// CV deposit for one référent of a structure and programme, with the people whose CV is missing (masked).
public struct CVReferentRow: Sendable, Equatable {
    public var programme: String
    public var structure: String
    public var referent: String
    public var jobReady: Int
    public var deposited: Int
    /// Job-ready people whose only CVs are on a platform that does not count.
    public var elsewhere: Int
    /// « NIR 184*** (SP-1301) : absent depuis le 2026-10-08, CV ailleurs : cap-emploi », one per person.
    public var missing: [String]

    public init(
        programme: String, structure: String, referent: String, jobReady: Int, deposited: Int, elsewhere: Int,
        missing: [String]
    ) {
        self.programme = programme
        self.structure = structure
        self.referent = referent
        self.jobReady = jobReady
        self.deposited = deposited
        self.elsewhere = elsewhere
        self.missing = missing
    }

    public var rate: Double? { jobReady == 0 ? nil : Double(deposited) / Double(jobReady) }
}

/// How many findings of each severity a structure (and référent) has.
public struct FindingPlaceRow: Sendable, Equatable {
    public var structure: String
    /// « — » for findings about the structure itself.
    public var referent: String
    public var critical: Int
    public var warning: Int
    public var info: Int

    public init(structure: String, referent: String, critical: Int, warning: Int, info: Int) {
        self.structure = structure
        self.referent = referent
        self.critical = critical
        self.warning = warning
        self.info = info
    }
}

/// Isère's PER indicators for one structure, or every structure (« toutes »), as shown.
public struct PERRow: Sendable, Equatable {
    public var structure: String
    public var accompanied: Int
    public var newEntries: Int
    public var cerRate: Double?
    public var actionsPerPerson: Double?
    public var employerActionsPerPerson: Double?
    public var collectiveSessions: Int
    public var meanDurationDays: Double?
    public var exits: String
    public var reorientations: Int

    public init(
        structure: String, accompanied: Int, newEntries: Int, cerRate: Double?, actionsPerPerson: Double?,
        employerActionsPerPerson: Double?, collectiveSessions: Int, meanDurationDays: Double?, exits: String,
        reorientations: Int
    ) {
        self.structure = structure
        self.accompanied = accompanied
        self.newEntries = newEntries
        self.cerRate = cerRate
        self.actionsPerPerson = actionsPerPerson
        self.employerActionsPerPerson = employerActionsPerPerson
        self.collectiveSessions = collectiveSessions
        self.meanDurationDays = meanDurationDays
        self.exits = exits
        self.reorientations = reorientations
    }
}

/// A period, both ends included, as ISO dates (`2026-09-01`, `2026-10-31`).
public struct DashboardPeriod: Sendable, Equatable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// One programme's results against its targets.
public struct ProgrammeRow: Sendable, Equatable {
    /// The fiche action's code (`FA-12`).
    public var ficheCode: String
    public var label: String
    /// The structure the row is about, or "toutes" for the programme as a whole.
    public var structure: String
    /// The référent, in a drill-down row; nil otherwise.
    public var referent: String?
    /// People accompanied over the period.
    public var accompanied: Int
    /// Reprise d'activité rate, 0…1, nil when nobody is in the denominator.
    public var repriseRate: Double?
    /// Its target, 0…1, nil when the programme has none.
    public var repriseTarget: Double?
    /// Sortie vers l'emploi rate, 0…1, nil when nobody is in the denominator.
    public var sortieEmploiRate: Double?
    /// Its target, 0…1, nil when the programme has none.
    public var sortieEmploiTarget: Double?

    public init(
        ficheCode: String, label: String, structure: String = "toutes", accompanied: Int, repriseRate: Double?,
        repriseTarget: Double?, sortieEmploiRate: Double?, sortieEmploiTarget: Double?
    ) {
        self.ficheCode = ficheCode
        self.label = label
        self.structure = structure
        self.accompanied = accompanied
        self.repriseRate = repriseRate
        self.repriseTarget = repriseTarget
        self.sortieEmploiRate = sortieEmploiRate
        self.sortieEmploiTarget = sortieEmploiTarget
    }
}

/// CV deposit of the people ready for a job, for one programme and structure.
public struct CVDepositRow: Sendable, Equatable {
    public var programme: String
    public var structure: String
    /// People ready for a job (the denominator).
    public var jobReady: Int
    /// Those of them whose CV is deposited.
    public var deposited: Int
    /// deposited / jobReady, nil when jobReady is 0.
    public var rate: Double?

    public init(programme: String, structure: String, jobReady: Int, deposited: Int, rate: Double?) {
        self.programme = programme
        self.structure = structure
        self.jobReady = jobReady
        self.deposited = deposited
        self.rate = rate
    }

    /// The rate computed: deposited / jobReady, nil when jobReady is 0.
    public init(programme: String, structure: String, jobReady: Int, deposited: Int) {
        let rate = jobReady > 0 ? Double(deposited) / Double(jobReady) : nil
        self.init(programme: programme, structure: structure, jobReady: jobReady, deposited: deposited, rate: rate)
    }
}

/// Entries into and exits from the service over one month.
public struct MonthRow: Sendable, Equatable {
    /// The month, `2026-09`.
    public var month: String
    public var entries: Int
    public var exits: Int

    public init(month: String, entries: Int, exits: Int) {
        self.month = month
        self.entries = entries
        self.exits = exits
    }
}

/// How many rule findings one severity has.
public struct SeverityCount: Sendable, Equatable {
    /// The severity as shown, in French (`Critique`, `Avertissement`, `Information`).
    public var severity: String
    public var count: Int

    /// The French label of a finding's severity.
    public static func label(_ severity: String) -> String {
        switch severity {
        case "critical": "Critique"
        case "warning": "Avertissement"
        case "info": "Information"
        default: severity
        }
    }

    public init(severity: String, count: Int) {
        self.severity = severity
        self.count = count
    }
}
