/// What the insertion dashboard shows, filled by the caller (from the store) and turned into one HTML page by
/// `DashboardRenderer`. Plain values only: every text is escaped by the renderer, every rate is a fraction in 0…1
/// (`nil` when its denominator is 0, shown as "—").
public struct DashboardData: Sendable, Equatable {
    /// The page's title (the `<title>` and the `<h1>`).
    public var title: String
    /// The day the page was produced, ISO (`2026-11-02`).
    public var generatedOn: String
    /// The period the figures cover.
    public var period: DashboardPeriod
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
    /// The severity as shown (`Erreur`, `Avertissement`, `Information`).
    public var severity: String
    public var count: Int

    public init(severity: String, count: Int) {
        self.severity = severity
        self.count = count
    }
}
