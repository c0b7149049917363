/// A length of calendar time as the fiches state them: « 6 semaines », « 12 mois », « 3 mois ».
public struct CalendarSpan: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case days, weeks, months
    }

    public var value: Int
    public var unit: Unit

    public init(_ value: Int, _ unit: Unit) {
        self.value = value
        self.unit = unit
    }

    public static func days(_ value: Int) -> CalendarSpan { CalendarSpan(value, .days) }
    public static func weeks(_ value: Int) -> CalendarSpan { CalendarSpan(value, .weeks) }
    public static func months(_ value: Int) -> CalendarSpan { CalendarSpan(value, .months) }

    /// Parses `6 weeks`, `12 months`, `42 days` (French units accepted: `semaines`, `mois`, `jours`).
    public init?(parsing text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let value = Int(parts[0]), value >= 0 else { return nil }
        switch parts[1].lowercased() {
        case "day", "days", "jour", "jours": self.init(value, .days)
        case "week", "weeks", "semaine", "semaines": self.init(value, .weeks)
        case "month", "months", "mois": self.init(value, .months)
        default: return nil
        }
    }

    /// The date `self` after `date`: a month after 31 January is the last day of February.
    public func after(_ date: LocalDate) -> LocalDate {
        switch unit {
        case .days: date.adding(days: value)
        case .weeks: date.adding(days: 7 * value)
        case .months: date.adding(months: value)
        }
    }

    /// The date `self` before `date`, the inverse of ``after(_:)`` for whole days and weeks.
    public func before(_ date: LocalDate) -> LocalDate {
        switch unit {
        case .days: date.adding(days: -value)
        case .weeks: date.adding(days: -7 * value)
        case .months: date.adding(months: -value)
        }
    }

    public var description: String {
        switch unit {
        case .days: "\(value) jour" + (value > 1 ? "s" : "")
        case .weeks: "\(value) semaine" + (value > 1 ? "s" : "")
        case .months: "\(value) mois"
        }
    }
}

extension LocalDate {
    /// The same day `months` later (or earlier when negative), on the month's last day when it has fewer days.
    public func adding(months: Int) -> LocalDate {
        let index = year * 12 + (month - 1) + months
        let newYear = index / 12
        let newMonth = index % 12 + 1
        let newDay = min(day, LocalDate.daysIn(month: newMonth, year: newYear))
        return LocalDate(year: newYear, month: newMonth, day: newDay) ?? self
    }
}

/// A fiche action's parameters, from `Mappings/programmes.yaml`. Every figure comes from the fiche (the seed).
public struct Programme: Sendable, Hashable {
    /// How big a file active may be.
    public enum Capacity: Sendable, Hashable {
        /// People in file active per full-time référent (ETP).
        case perETP(Int)
        /// People in file active per structure, whatever its staff (Isère PER: the funding basis).
        case perStructure(Int)
        /// The operator states its own file active (fiche 4), in `structures.yaml`.
        case setByOperator
    }

    /// The CER (contrat d'engagements réciproques).
    public struct CERRule: Sendable, Hashable {
        /// Its length, when the fiche gives one: an open-ended CER in the data ends after this.
        public var duration: CalendarSpan?
        public var renewable: Bool
        /// Whether an accompaniment must have one (`cer-missing`); the Isère PER only counts the rate.
        public var required: Bool

        public init(duration: CalendarSpan?, renewable: Bool, required: Bool = true) {
            self.duration = duration
            self.renewable = renewable
            self.required = required
        }
    }

    /// The minimum frequency of meetings.
    public enum ContactRule: Sendable, Hashable {
        /// Never more than this between two contacts (or since the start, or until today): « un entretien toutes
        /// les 6 semaines ».
        case every(CalendarSpan)
        /// At least this many meetings in every full calendar week or month of the accompaniment: « 2 rendez-vous
        /// par semaine », « bimensuelle ».
        case atLeast(Int, per: CalendarPeriod)
    }

    /// Calendar periods a contact frequency is counted in.
    public enum CalendarPeriod: String, Sendable, Hashable {
        /// Monday to Sunday.
        case week
        /// A calendar month.
        case month
    }

    /// How long an accompaniment may last.
    public struct DurationRule: Sendable, Hashable {
        /// The first period (fiche 5: 12 months; fiche 9: 3 months).
        public var initial: CalendarSpan?
        /// Each renewal's length (fiche 5: 6 months).
        public var renewal: CalendarSpan?
        /// How many renewals at most (fiche 5: 2; fiche 9: 0).
        public var maxRenewals: Int
        /// An absolute limit, when the fiche gives one rather than renewals (fiche 4: 24 months).
        public var maximum: CalendarSpan?
        /// The shortest intended length (fiche 4: « 3 à 6 mois minimum »); informative.
        public var minimum: CalendarSpan?
        /// When a review (bilan) is expected (fiche 4: after 3 or 6 months); informative.
        public var reviews: [CalendarSpan]
        /// What follows the limit: « reorientation » for fiche 9.
        public var afterLimit: String?

        public init(
            initial: CalendarSpan? = nil, renewal: CalendarSpan? = nil, maxRenewals: Int = 0,
            maximum: CalendarSpan? = nil, minimum: CalendarSpan? = nil, reviews: [CalendarSpan] = [],
            afterLimit: String? = nil
        ) {
            self.initial = initial
            self.renewal = renewal
            self.maxRenewals = maxRenewals
            self.maximum = maximum
            self.minimum = minimum
            self.reviews = reviews
            self.afterLimit = afterLimit
        }

        /// The first day beyond the longest allowed accompaniment started on `start`, nil when unlimited.
        public func limit(from start: LocalDate) -> LocalDate? {
            if let maximum { return maximum.after(start) }
            guard let initial else { return nil }
            var end = initial.after(start)
            if let renewal {
                for _ in 0..<maxRenewals { end = renewal.after(end) }
            }
            return end
        }

        /// The first day of the last allowed period (the last renewal, or the initial period when there is no
        /// renewal), nil when unlimited or when only an absolute maximum is given.
        public func lastPeriodStart(from start: LocalDate) -> LocalDate? {
            guard maximum == nil, let initial else { return nil }
            guard maxRenewals > 0, let renewal else { return start }
            var begin = initial.after(start)
            for _ in 0..<(maxRenewals - 1) { begin = renewal.after(begin) }
            return begin
        }
    }

    /// The CV deposit expected in Job Connexion.
    public struct CVRule: Sendable, Hashable {
        /// Share of job-ready people whose CV must be deposited, in percent (100 in fiches 5 and 9).
        public var requiredPercent: Double
        /// A CV counts when deposited (or updated) no longer ago than this.
        public var maxAge: CalendarSpan
        /// The platforms whose CVs count, by the partner that sends them (« déposé dans Job Connexion »:
        /// `job-connexion`); a CV elsewhere is shown apart.
        public var platforms: [String]

        public init(requiredPercent: Double, maxAge: CalendarSpan, platforms: [String] = [CVDeposit.jobConnexion]) {
            self.requiredPercent = requiredPercent
            self.maxAge = maxAge
            self.platforms = platforms
        }
    }

    /// The follow-up owed after a job or training starts.
    public struct JobFollowUpRule: Sendable, Hashable {
        /// How long the follow-up lasts from the exit date (fiche 5: 6 months; PER: up to 6 months).
        public var duration: CalendarSpan
        /// The shortest follow-up (PER: 3 months), informative.
        public var minimum: CalendarSpan?
        /// The exits it applies to; empty means every exit.
        public var exitTypes: Set<ExitType>

        public init(duration: CalendarSpan, minimum: CalendarSpan? = nil, exitTypes: Set<ExitType> = []) {
            self.duration = duration
            self.minimum = minimum
            self.exitTypes = exitTypes
        }
    }

    /// Results expected, in percent.
    public struct Targets: Sendable, Hashable {
        /// Taux de reprise d'activité ou d'emploi.
        public var repriseActivite: Double?
        /// Taux de sortie du dispositif liée à l'emploi.
        public var sortieEmploi: Double?

        public init(repriseActivite: Double?, sortieEmploi: Double?) {
            self.repriseActivite = repriseActivite
            self.sortieEmploi = sortieEmploi
        }
    }

    /// The days a programme runs (Isère PER: 2023 to 2025).
    public struct Period: Sendable, Hashable {
        public var from: LocalDate
        public var to: LocalDate

        public init(from: LocalDate, to: LocalDate) {
            self.from = from
            self.to = to
        }

        public func contains(_ day: LocalDate) -> Bool { from <= day && day <= to }
    }

    public var fiche: Fiche
    public var title: String
    /// The public the fiche is for, in the fiche's words.
    public var audience: String
    /// The départements where the fiche is offered (fiche 9: the Haut-Rhin only; PER: the Isère); empty:
    /// anywhere. A structure of another département may not run it.
    public var territory: Set<String>
    /// When the programme runs; nil: no period stated.
    public var period: Period?
    /// For new entrants (fiche 9: « nouveaux entrants dans le dispositif du rSa »): how long before the
    /// accompaniment's start the CNAF files may have flagged the person as entering droits et devoirs.
    public var newEntrantsWithin: CalendarSpan?
    /// The operator states how many people it takes in a year (fiche 4: « le nombre maximum d'accueil à
    /// l'année »), in `structures.yaml` (`yearly-intake`).
    public var yearlyIntakeSetByOperator: Bool
    /// Whether an exit counts as a « sortie du dispositif liée à l'emploi » only with the household's RSA right
    /// closed: fiche 9 says « sortie du dispositif rSa »; fiches 1, 4 and 5 say « sortie du dispositif ».
    public var sortieEmploiNeedsRightClosed: Bool
    public var capacity: Capacity
    public var cer: CERRule
    public var contact: ContactRule?
    /// The meeting modes the fiche counts as contacts (« en présentiel ou par téléphone »); nil: every mode. A
    /// meeting whose mode the operator did not give counts.
    public var contactModes: Set<MeetingMode>?
    /// The first months of intensive support (fiche 5: 3 months); informative.
    public var intensiveStart: CalendarSpan?
    public var duration: DurationRule
    public var targets: Targets
    public var cvDeposit: CVRule?
    public var jobFollowUp: JobFollowUpRule?
    /// When the outcome is observed after the accompaniment ends (fiche 9: M+1, M+3, M+6).
    public var outcomeCheckpoints: [CalendarSpan]
    /// Whether Isère's PER indicators are computed for the fiche.
    public var perIndicators: Bool

    public init(
        fiche: Fiche, title: String, audience: String = "", territory: Set<String> = [], period: Period? = nil,
        newEntrantsWithin: CalendarSpan? = nil, yearlyIntakeSetByOperator: Bool = false,
        sortieEmploiNeedsRightClosed: Bool = false, capacity: Capacity, cer: CERRule,
        contact: ContactRule? = nil, contactModes: Set<MeetingMode>? = nil, intensiveStart: CalendarSpan? = nil,
        duration: DurationRule = DurationRule(),
        targets: Targets = Targets(repriseActivite: nil, sortieEmploi: nil), cvDeposit: CVRule? = nil,
        jobFollowUp: JobFollowUpRule? = nil, outcomeCheckpoints: [CalendarSpan] = [], perIndicators: Bool = false
    ) {
        self.fiche = fiche
        self.title = title
        self.audience = audience
        self.territory = territory
        self.period = period
        self.newEntrantsWithin = newEntrantsWithin
        self.yearlyIntakeSetByOperator = yearlyIntakeSetByOperator
        self.sortieEmploiNeedsRightClosed = sortieEmploiNeedsRightClosed
        self.capacity = capacity
        self.cer = cer
        self.contact = contact
        self.contactModes = contactModes
        self.intensiveStart = intensiveStart
        self.duration = duration
        self.targets = targets
        self.cvDeposit = cvDeposit
        self.jobFollowUp = jobFollowUp
        self.outcomeCheckpoints = outcomeCheckpoints
        self.perIndicators = perIndicators
    }
}

/// Every programme, and the settings the rules share, from `Mappings/programmes.yaml`.
public struct ProgrammeCatalogue: Sendable, Hashable {
    public var programmes: [Fiche: Programme]
    /// How long after its start an accompaniment may go without a CER before `cer-missing`.
    public var cerGrace: CalendarSpan
    /// How long an outcome checkpoint stays reported after its date.
    public var checkpointWindow: CalendarSpan
    /// Exits counted as a reprise d'activité ou d'emploi.
    public var repriseActiviteExits: Set<ExitType>
    /// Exits counted as a sortie liée à l'emploi (with the RSA right closed too where the programme says so).
    public var sortieEmploiExits: Set<ExitType>

    public init(
        programmes: [Programme], cerGrace: CalendarSpan = .months(1), checkpointWindow: CalendarSpan = .months(1),
        repriseActiviteExits: Set<ExitType> = Set(ExitType.allCases),
        sortieEmploiExits: Set<ExitType> = Set(ExitType.allCases).subtracting([.qualifyingTraining])
    ) {
        var byFiche: [Fiche: Programme] = [:]
        for programme in programmes { byFiche[programme.fiche] = programme }
        self.programmes = byFiche
        self.cerGrace = cerGrace
        self.checkpointWindow = checkpointWindow
        self.repriseActiviteExits = repriseActiviteExits
        self.sortieEmploiExits = sortieEmploiExits
    }

    public subscript(fiche: Fiche) -> Programme? { programmes[fiche] }
}

/// An operator's structure: its référents and their ETP, from `Mappings/structures.yaml`.
public struct Structure: Sendable, Hashable {
    public var code: String
    public var name: String
    public var departement: String?
    public var fiches: [Fiche]
    /// The file active the operator states, per fiche (fiche 4: « l'opérateur précise le nombre de participants
    /// en file active »), or a structure-wide figure for a fiche whose capacity is per structure.
    public var fileActive: [Fiche: Int]
    /// ETP per référent, by the référent's label as the operator's file writes it.
    public var referents: [String: Double]
    /// How many people the structure takes in a calendar year, per fiche (fiche 4).
    public var yearlyIntake: [Fiche: Int]
    /// Targets set for the structure where the fiche's are « à adapter » (fiche 4); each replaces the fiche's.
    public var targets: [Fiche: Programme.Targets]

    public init(
        code: String, name: String, departement: String? = nil, fiches: [Fiche], fileActive: [Fiche: Int] = [:],
        referents: [String: Double], yearlyIntake: [Fiche: Int] = [:], targets: [Fiche: Programme.Targets] = [:]
    ) {
        self.code = code
        self.name = name
        self.departement = departement
        self.fiches = fiches
        self.fileActive = fileActive
        self.referents = referents
        self.yearlyIntake = yearlyIntake
        self.targets = targets
    }

    /// The targets for `programme` in this structure: its own where set, else the fiche's, target by target.
    public func targets(for programme: Programme) -> Programme.Targets {
        guard let own = targets[programme.fiche] else { return programme.targets }
        return Programme.Targets(
            repriseActivite: own.repriseActivite ?? programme.targets.repriseActivite,
            sortieEmploi: own.sortieEmploi ?? programme.targets.sortieEmploi)
    }
}

/// Every structure, by operator code.
public struct StructureCatalogue: Sendable, Hashable {
    public var structures: [String: Structure]

    public init(_ structures: [Structure]) {
        var byCode: [String: Structure] = [:]
        for structure in structures { byCode[structure.code] = structure }
        self.structures = byCode
    }

    public subscript(code: String) -> Structure? { structures[code] }
}

extension Accompaniment {
    /// The last day of the accompaniment: the earliest of its end, exit and reorientation dates, nil when none is
    /// given. An exit or reorientation recorded with no date at all ends it on an unknown day (see ``hasEnded(by:)``).
    public var closingDate: LocalDate? {
        var result = endDate
        for date in [exit?.date, reorientationDate] {
            if let date, date < result ?? date.adding(days: 1) { result = date }
        }
        return result
    }

    /// Whether the accompaniment has ended on or before `day`: a closing date before `day`, or an exit or
    /// reorientation recorded without any date. The closing date itself is the last day of accompaniment.
    public func hasEnded(by day: LocalDate) -> Bool {
        if let closing = closingDate { return closing < day }
        return exit != nil || reorientation != nil
    }

    /// Whether the accompaniment is in progress on `day` (started, not ended).
    public func isOpen(on day: LocalDate) -> Bool { startDate <= day && !hasEnded(by: day) }

    /// Whether the accompaniment was in progress on at least one day of `[from, to]`.
    public func isActive(from: LocalDate, to: LocalDate) -> Bool {
        guard startDate <= to else { return false }
        if let closing = closingDate { return closing >= from }
        return exit == nil && reorientation == nil
    }
}
