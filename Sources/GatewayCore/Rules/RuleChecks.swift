/// One accompaniment as the rule checks see it: the operator's record, and what the CNAF and Job Connexion files say
/// of the person.
public struct FollowedCase: Sendable, Hashable {
    /// Masked identifier for display, never a full NIR or a name.
    public var personKey: String
    public var accompaniment: Accompaniment
    /// From the CNAF files; nil when the person is not matched.
    public var soumisDroitsDevoirs: Bool?
    public var rightState: RightState?
    /// The last day the CNAF files flagged the person as newly entering droits et devoirs
    /// (`entered-droits-devoirs`), nil when never.
    public var enteredDroitsDevoirs: LocalDate?
    /// The person's latest CV on each platform that sent one (Job Connexion, …), by platform.
    public var cvs: [String: CVDeposit]

    public init(
        personKey: String, accompaniment: Accompaniment, soumisDroitsDevoirs: Bool? = nil,
        rightState: RightState? = nil, enteredDroitsDevoirs: LocalDate? = nil, cvs: [String: CVDeposit] = [:]
    ) {
        self.personKey = personKey
        self.accompaniment = accompaniment
        self.soumisDroitsDevoirs = soumisDroitsDevoirs
        self.rightState = rightState
        self.enteredDroitsDevoirs = enteredDroitsDevoirs
        self.cvs = cvs
    }

    /// Whether the person was flagged as entering droits et devoirs no further than `within` from the
    /// accompaniment's start, before or after it (the CNAF file may come after the orientation).
    public func isNewEntrant(within: CalendarSpan) -> Bool {
        guard let entered = enteredDroitsDevoirs else { return false }
        let start = accompaniment.startDate
        return within.before(start) <= entered && entered <= within.after(start)
    }
}

/// The rules a finding comes from; the raw values are stable identifiers (reports, filters, alerts).
public enum FindingRule: String, Sendable, Hashable, CaseIterable {
    /// A référent's file active exceeds what their ETP allows (Σ people / people-per-ETP of each fiche > ETP).
    case portfolioOverCapacity = "portfolio-over-capacity"
    /// A structure's file active for a fiche exceeds the figure it stated (fiche 4) or its funding basis (PER: 70).
    case fileActiveOverCapacity = "file-active-over-capacity"
    /// People are accompanied by a référent (or structure) absent from `structures.yaml`: capacity unchecked.
    case referentNotDeclared = "referent-not-declared"
    /// An accompaniment in progress has no CER once the grace period after its start is over.
    case cerMissing = "cer-missing"
    /// The CER ended before the day of the check while the accompaniment goes on.
    case cerExpired = "cer-expired"
    /// The CER runs longer than the fiche's CER duration (fiche 9: 3 months).
    case cerLongerThanFiche = "cer-longer-than-fiche"
    /// The minimum contact frequency of the fiche is not met.
    case contactFrequency = "contact-frequency"
    /// The accompaniment is in its last allowed period: no renewal left (fiche 5 after 18 months).
    case renewalLimitReached = "renewal-limit-reached"
    /// The accompaniment goes on past the fiche's limit (fiche 5: 24 months, fiche 4: 24 months, fiche 9: 3 months,
    /// then reorientation).
    case durationExceeded = "duration-exceeded"
    /// The person is no longer soumis à droits et devoirs while still accompanied.
    case notSoumisDroitsDevoirs = "not-soumis-droits-devoirs"
    /// The household's RSA right is closed while the person is still accompanied.
    case rightClosedWhileAccompanied = "right-closed-while-accompanied"
    /// The person is not matched with the CNAF files: eligibility cannot be checked.
    case personNotMatched = "person-not-matched"
    /// An outcome checkpoint after the end of the accompaniment is due (fiche 9: M+1, M+3, M+6).
    case outcomeCheckpointDue = "outcome-checkpoint-due"
    /// A job or training started and the follow-up the fiche asks for has no meeting yet (fiche 5: 6 months).
    case jobFollowUpDue = "job-follow-up-due"
    /// The accompaniment's fiche has no programme in `programmes.yaml`.
    case programmeNotConfigured = "programme-not-configured"
    /// A programme for new entrants (fiche 9) accompanies someone the CNAF files did not flag as entering droits
    /// et devoirs around the start (people reoriented after another accompaniment are allowed: informative).
    case notNewEntrant = "not-new-entrant"
    /// The accompaniment started outside the programme's period, or goes on after it ended (Isère PER: 2023–2025).
    case outsideProgrammePeriod = "outside-programme-period"
    /// A structure took in more people this calendar year than the yearly intake it stated (fiche 4).
    case yearlyIntakeExceeded = "yearly-intake-exceeded"
    /// No review (bilan) after the first months the fiche names (fiche 4: 3 or 6 months).
    case reviewMissing = "review-missing"
    /// The accompaniment ended before the fiche's minimum duration (fiche 4: 3 months), with no exit to work.
    case endedBeforeMinimum = "ended-before-minimum"
}

/// Something a rule found about an accompaniment, a référent or a structure.
public struct Finding: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable {
        case info, warning, critical

        var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .critical: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    public var rule: FindingRule
    /// In French, with no personal data beyond the masked key.
    public var message: String
    /// Nil for findings about a référent or a structure.
    public var personKey: String?
    public var operatorCode: String
    public var referent: String?
    public var fiche: Fiche?
    public var accompanimentID: String?
    /// The day something is (or was) due.
    public var due: LocalDate?
    /// The day the situation started.
    public var since: LocalDate?

    public init(
        severity: Severity, rule: FindingRule, message: String, personKey: String? = nil, operatorCode: String,
        referent: String? = nil, fiche: Fiche? = nil, accompanimentID: String? = nil, due: LocalDate? = nil,
        since: LocalDate? = nil
    ) {
        self.severity = severity
        self.rule = rule
        self.message = message
        self.personKey = personKey
        self.operatorCode = operatorCode
        self.referent = referent
        self.fiche = fiche
        self.accompanimentID = accompanimentID
        self.due = due
        self.since = since
    }
}

/// The programme rules, pure: the store gives the cases, the catalogues come from the YAML files.
public enum RuleChecks {
    /// Every finding on `asOf`, most severe first, then by operator, référent, rule and accompaniment.
    ///
    /// Accompaniments in progress on `asOf` (started, not ended: see ``Accompaniment/isOpen(on:)``) are checked for
    /// capacity, CER, contact frequency, duration and eligibility; ended ones for outcome checkpoints and job
    /// follow-up. Linear in cases and meetings.
    public static func findings(
        _ cases: [FollowedCase], programmes: ProgrammeCatalogue, structures: StructureCatalogue, asOf: LocalDate
    ) -> [Finding] {
        var findings: [Finding] = []
        var load = CapacityLoad()
        var unconfigured: Set<Fiche> = []
        var intake: [CapacityLoad.StructureKey: Int] = [:]
        for followed in cases {
            let accompaniment = followed.accompaniment
            guard let programme = programmes[accompaniment.fiche] else {
                if unconfigured.insert(accompaniment.fiche).inserted {
                    findings.append(
                        Finding(
                            severity: .warning, rule: .programmeNotConfigured,
                            message: "La fiche \(accompaniment.fiche.rawValue) n'est pas décrite dans programmes.yaml",
                            operatorCode: accompaniment.operatorCode, fiche: accompaniment.fiche))
                }
                continue
            }
            if programme.yearlyIntakeSetByOperator && accompaniment.startDate.year == asOf.year
                && accompaniment.startDate <= asOf
            {
                intake[.init(operatorCode: accompaniment.operatorCode, fiche: accompaniment.fiche), default: 0] += 1
            }
            if accompaniment.isOpen(on: asOf) {
                load.add(accompaniment)
                checkOpen(followed, programme: programme, catalogue: programmes, asOf: asOf, into: &findings)
            } else if accompaniment.startDate <= asOf {
                checkEnded(followed, programme: programme, catalogue: programmes, asOf: asOf, into: &findings)
            }
        }
        load.check(programmes: programmes, structures: structures, into: &findings)
        for (key, count) in intake {
            guard let limit = structures[key.operatorCode]?.yearlyIntake[key.fiche], count > limit else { continue }
            findings.append(
                Finding(
                    severity: .warning, rule: .yearlyIntakeExceeded,
                    message:
                        "Accueil \(asOf.year) de la fiche \(key.fiche.rawValue) : \(count) personnes entrées pour \(limit) au plus par an",
                    operatorCode: key.operatorCode, fiche: key.fiche))
        }
        // Indices are sorted, not the findings, on integer ranks: a finding is a large value, and the few distinct
        // operators and référents (accented: slow to compare as text) are ranked once.
        func ranks(_ values: [String]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: Set(values).sorted().enumerated().map { ($1, $0) })
        }
        let operators = ranks(findings.map(\.operatorCode))
        let referents = ranks(findings.map { $0.referent ?? "" })
        let rules = ranks(findings.map(\.rule.rawValue))
        let keys = findings.map { finding in
            (
                -finding.severity.rank, operators[finding.operatorCode] ?? 0, referents[finding.referent ?? ""] ?? 0,
                rules[finding.rule.rawValue] ?? 0
            )
        }
        let order = findings.indices.sorted { left, right in
            if keys[left] != keys[right] { return keys[left] < keys[right] }
            return (findings[left].accompanimentID ?? "", left) < (findings[right].accompanimentID ?? "", right)
        }
        return order.map { findings[$0] }
    }

    // MARK: - Accompaniments in progress

    private static func checkOpen(
        _ followed: FollowedCase, programme: Programme, catalogue: ProgrammeCatalogue, asOf: LocalDate,
        into findings: inout [Finding]
    ) {
        let accompaniment = followed.accompaniment
        func add(
            _ severity: Finding.Severity, _ rule: FindingRule, _ message: String, due: LocalDate? = nil,
            since: LocalDate? = nil
        ) {
            findings.append(
                Finding(
                    severity: severity, rule: rule, message: message, personKey: followed.personKey,
                    operatorCode: accompaniment.operatorCode, referent: accompaniment.referent,
                    fiche: accompaniment.fiche, accompanimentID: accompaniment.id, due: due, since: since))
        }

        // Eligibility, from the CNAF files.
        if followed.soumisDroitsDevoirs == nil && followed.rightState == nil {
            add(.info, .personNotMatched, "Personne non rapprochée des fichiers CNAF : éligibilité non vérifiable")
        }
        if let state = followed.rightState, state.isClosed {
            add(
                .critical, .rightClosedWhileAccompanied,
                "Droit RSA clos (\(state.label)) alors que l'accompagnement se poursuit")
        }
        if followed.soumisDroitsDevoirs == false {
            add(.warning, .notSoumisDroitsDevoirs, "La personne n'est plus soumise à droits et devoirs")
        }
        let matched = followed.soumisDroitsDevoirs != nil || followed.rightState != nil
        if let within = programme.newEntrantsWithin, matched, !followed.isNewEntrant(within: within) {
            let flagged =
                followed.enteredDroitsDevoirs.map { "signalée entrante le \($0.iso)" }
                ?? "jamais signalée entrante"
            add(
                .info, .notNewEntrant,
                "Fiche \(programme.fiche.rawValue) pour les nouveaux entrants : personne \(flagged) dans les droits et devoirs par la CNAF (attendu à \(within) près du début, le \(accompaniment.startDate.iso)) ; réorientation à justifier",
                since: accompaniment.startDate)
        }
        if let period = programme.period {
            let range = "du \(period.from.iso) au \(period.to.iso)"
            if !period.contains(accompaniment.startDate) {
                add(
                    .warning, .outsideProgrammePeriod,
                    "Accompagnement commencé le \(accompaniment.startDate.iso), hors de la période du programme (\(range))",
                    since: accompaniment.startDate)
            } else if asOf > period.to {
                add(
                    .warning, .outsideProgrammePeriod,
                    "Accompagnement en cours après la fin du programme (\(range)) : à clôturer ou à reprendre dans le programme suivant",
                    due: period.to, since: period.to.adding(days: 1))
            }
        }

        // Review (bilan) after the first months: a review date, or a CER renewed from the first review on.
        let reviewDays = programme.duration.reviews.map { $0.after(accompaniment.startDate) }
        if let first = reviewDays.min(), let last = reviewDays.max(), asOf > last {
            let reviewed = accompaniment.reviewDate.map { $0 >= accompaniment.startDate } ?? false
            let renewed = accompaniment.cerStart.map { $0 >= first } ?? false
            if !reviewed && !renewed {
                let months = programme.duration.reviews.map { "\($0.value)" }.joined(separator: " ou ")
                add(
                    .warning, .reviewMissing,
                    "Aucun bilan à l'issue des \(months) premiers mois (attendu au plus tard le \(last.iso)) ni CER renouvelé depuis le \(first.iso)",
                    due: last, since: first)
            }
        }

        // CER.
        if !programme.cer.required {
            // The programme counts the CER rate (Isère PER) but requires none.
        } else if accompaniment.cerStart == nil && accompaniment.cerEnd == nil {
            let due = catalogue.cerGrace.after(accompaniment.startDate)
            if asOf > due {
                add(
                    .critical, .cerMissing,
                    "Aucun CER, accompagnement commencé le \(accompaniment.startDate.iso) (CER attendu au plus tard le \(due.iso))",
                    due: due, since: accompaniment.startDate)
            }
        } else {
            let end =
                accompaniment.cerEnd
                ?? accompaniment.cerStart.flatMap { start in
                    programme.cer.duration.map { $0.after(start).adding(days: -1) }
                }
            if let end, end < asOf {
                add(
                    .warning, .cerExpired, "CER échu le \(end.iso), accompagnement en cours",
                    due: end, since: end.adding(days: 1))
            }
            if let start = accompaniment.cerStart, let cerEnd = accompaniment.cerEnd,
                let length = programme.cer.duration, cerEnd >= length.after(start)
            {
                add(
                    .info, .cerLongerThanFiche,
                    "CER du \(start.iso) au \(cerEnd.iso), plus long que les \(length) de la fiche \(programme.fiche.rawValue)"
                )
            }
        }

        // Contact frequency.
        if let rule = programme.contact,
            let breach = contactBreach(accompaniment, rule: rule, modes: programme.contactModes, asOf: asOf)
        {
            add(
                breach.ongoing ? .warning : .info, .contactFrequency, breach.message(rule: rule), due: breach.due,
                since: breach.since)
        }

        // Duration and renewals.
        if let limit = programme.duration.limit(from: accompaniment.startDate) {
            let lastDay = limit.adding(days: -1)
            if asOf >= limit {
                let next =
                    programme.duration.afterLimit == "reorientation" ? " : réorientation attendue" : " : à clôturer"
                add(
                    .critical, .durationExceeded,
                    "Durée maximale de la fiche \(programme.fiche.rawValue) dépassée depuis le \(limit.iso)" + next,
                    due: lastDay, since: limit)
            } else if programme.duration.maxRenewals > 0,
                let lastPeriod = programme.duration.lastPeriodStart(from: accompaniment.startDate), asOf >= lastPeriod
            {
                add(
                    .warning, .renewalLimitReached,
                    "Dernier renouvellement (\(programme.duration.maxRenewals) au plus) : fin de l'accompagnement au plus tard le \(lastDay.iso)",
                    due: lastDay, since: lastPeriod)
            }
        }
    }

    // MARK: - Ended accompaniments

    private static func checkEnded(
        _ followed: FollowedCase, programme: Programme, catalogue: ProgrammeCatalogue, asOf: LocalDate,
        into findings: inout [Finding]
    ) {
        let accompaniment = followed.accompaniment
        func add(_ rule: FindingRule, _ message: String, due: LocalDate?, since: LocalDate?) {
            findings.append(
                Finding(
                    severity: .info, rule: rule, message: message, personKey: followed.personKey,
                    operatorCode: accompaniment.operatorCode, referent: accompaniment.referent,
                    fiche: accompaniment.fiche, accompanimentID: accompaniment.id, due: due, since: since))
        }
        guard let end = accompaniment.closingDate else { return }
        if let minimum = programme.duration.minimum, accompaniment.exit == nil,
            end < minimum.after(accompaniment.startDate).adding(days: -1),
            asOf < catalogue.checkpointWindow.after(end)
        {
            add(
                .endedBeforeMinimum,
                "Accompagnement terminé le \(end.iso) après moins de \(minimum) (durée minimale de la fiche \(programme.fiche.rawValue)), sans sortie vers l'emploi ou la formation",
                due: nil, since: end)
        }
        // The latest checkpoint reached, while it is within its window.
        var current: (CalendarSpan, LocalDate)?
        for checkpoint in programme.outcomeCheckpoints {
            let day = checkpoint.after(end)
            if day <= asOf && asOf < catalogue.checkpointWindow.after(day) { current = (checkpoint, day) }
        }
        if let (checkpoint, day) = current {
            let label = checkpoint.unit == .months ? "M+\(checkpoint.value)" : "fin + \(checkpoint)"
            add(
                .outcomeCheckpointDue,
                "Constat de sortie à \(label) dû le \(day.iso) (fin d'accompagnement le \(end.iso))", due: day,
                since: end)
        }
        if let followUp = programme.jobFollowUp, let exit = accompaniment.exit,
            followUp.exitTypes.isEmpty || followUp.exitTypes.contains(exit.type)
        {
            let start = exit.date ?? end
            let until = followUp.duration.after(start)
            let followed = accompaniment.meetings.last.map { $0.date > start } ?? false
            if start <= asOf && asOf < until && !followed {
                add(
                    .jobFollowUpDue,
                    "Suivi dans l'emploi ou la formation (\(exit.type.rawValue) le \(start.iso)) attendu jusqu'au \(until.adding(days: -1).iso) : aucun entretien depuis",
                    due: until.adding(days: -1), since: start)
            }
        }
    }

    // MARK: - Contact frequency

    /// A breach of the contact frequency.
    struct ContactBreach {
        /// Whether the breach is still going on (no contact since, or the last full period short).
        var ongoing: Bool
        var count: Int
        /// The last contact before the latest gap, or the first day of the latest short period.
        var since: LocalDate
        /// The last day a contact was due (gap), or the last day of the latest short period.
        var due: LocalDate
        var hadMeetings: Bool

        func message(rule: Programme.ContactRule) -> String {
            switch rule {
            case .every(let span):
                let expectation = "au moins un contact toutes les \(span)"
                if ongoing {
                    let what = hadMeetings ? "aucun contact depuis le \(since.iso)" : "aucun contact depuis le début"
                    return "Fréquence de contact non respectée : \(what) (\(expectation))"
                }
                return
                    "Fréquence de contact non respectée \(count) fois, dernière fois après le \(since.iso) (\(expectation))"
            case .atLeast(let count, let period):
                let unit = period == .week ? "semaine" : "mois"
                let expectation = "au moins \(count) par \(unit)"
                let last = period == .week ? "la semaine du \(since.iso)" : "le mois de \(since.iso.prefix(7))"
                return
                    "Fréquence de contact non respectée : \(self.count) \(unit)\(period == .week && self.count > 1 ? "s" : "") sans assez de rendez-vous, dernière : \(last)\(ongoing ? " (la dernière écoulée)" : "") (\(expectation))"
            }
        }
    }

    /// Checks the meetings of an accompaniment in progress from its start to `asOf`; meetings outside that range
    /// are ignored. Meetings are expected sorted by date (they are sorted here when they are not).
    /// `modes`: the meeting modes that count (nil: all); a meeting without a mode counts.
    static func contactBreach(
        _ accompaniment: Accompaniment, rule: Programme.ContactRule, modes: Set<MeetingMode>? = nil, asOf: LocalDate
    ) -> ContactBreach? {
        let start = accompaniment.startDate
        var dates = accompaniment.meetings.filter { meeting in
            guard let modes, let mode = meeting.mode else { return true }
            return modes.contains(mode)
        }.map(\.date)
        if zip(dates, dates.dropFirst()).contains(where: { $0 > $1 }) { dates.sort() }
        switch rule {
        case .every(let span):
            // The start counts as a contact: no more than `span` from it to the first meeting.
            var previous = start
            var count = 0
            var since = start
            var due = start
            var hadMeetings = false
            for date in dates where date >= start && date <= asOf {
                if span.after(previous) < date {
                    count += 1
                    since = previous
                    due = span.after(previous)
                }
                if date > previous { previous = date }
                hadMeetings = true
            }
            if span.after(previous) < asOf {
                return ContactBreach(
                    ongoing: true, count: count + 1, since: previous, due: span.after(previous),
                    hadMeetings: hadMeetings)
            }
            return count == 0
                ? nil : ContactBreach(ongoing: false, count: count, since: since, due: due, hadMeetings: hadMeetings)
        case .atLeast(let minimum, let period):
            // Full periods only: from the first that begins on or after the start, to the last that ended before
            // `asOf`.
            let first = periodIndex(start, period) + (periodStart(periodIndex(start, period), period) == start ? 0 : 1)
            let last = periodIndex(asOf, period) - 1
            guard first <= last else { return nil }
            var cursor = dates.startIndex
            var count = 0
            var latest = first
            for index in first...last {
                var inPeriod = 0
                while cursor < dates.endIndex, periodIndex(dates[cursor], period) <= index {
                    if periodIndex(dates[cursor], period) == index { inPeriod += 1 }
                    cursor += 1
                }
                if inPeriod < minimum {
                    count += 1
                    latest = index
                }
            }
            guard count > 0 else { return nil }
            return ContactBreach(
                ongoing: latest == last, count: count, since: periodStart(latest, period),
                due: periodStart(latest + 1, period).adding(days: -1), hadMeetings: !dates.isEmpty)
        }
    }

    /// Monday-based week number (1970-01-01 was a Thursday) or month number.
    static func periodIndex(_ date: LocalDate, _ period: Programme.CalendarPeriod) -> Int {
        switch period {
        case .week:
            let shifted = date.daysSinceEpoch + 3
            return shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
        case .month:
            return date.year * 12 + date.month - 1
        }
    }

    static func periodStart(_ index: Int, _ period: Programme.CalendarPeriod) -> LocalDate {
        switch period {
        case .week: LocalDate(daysSinceEpoch: index * 7 - 3)
        case .month: LocalDate(year: index / 12, month: index % 12 + 1, day: 1)!
        }
    }

    // MARK: - Capacity

    /// Accompaniments in progress counted by référent and by structure and fiche.
    struct CapacityLoad {
        struct ReferentKey: Hashable {
            var operatorCode: String
            var referent: String
        }
        struct StructureKey: Hashable {
            var operatorCode: String
            var fiche: Fiche
        }
        var byReferent: [ReferentKey: [Fiche: Int]] = [:]
        var byStructure: [StructureKey: Int] = [:]

        mutating func add(_ accompaniment: Accompaniment) {
            byStructure[
                StructureKey(operatorCode: accompaniment.operatorCode, fiche: accompaniment.fiche), default: 0] +=
                1
            guard let referent = accompaniment.referent, !referent.isEmpty else { return }
            byReferent[ReferentKey(operatorCode: accompaniment.operatorCode, referent: referent), default: [:]][
                accompaniment.fiche, default: 0] += 1
        }

        func check(programmes: ProgrammeCatalogue, structures: StructureCatalogue, into findings: inout [Finding]) {
            for (key, counts) in byReferent {
                var load = 0.0
                var people = 0
                var parts: [String] = []
                for (fiche, count) in counts.sorted(by: { $0.key < $1.key }) {
                    guard case .perETP(let perETP) = programmes[fiche]?.capacity, perETP > 0 else { continue }
                    load += Double(count) / Double(perETP)
                    people += count
                    parts.append("\(count) en fiche \(fiche.rawValue) (\(perETP) par ETP)")
                }
                guard people > 0 else { continue }
                guard let etp = structures[key.operatorCode]?.referents[key.referent] else {
                    findings.append(
                        Finding(
                            severity: .info, rule: .referentNotDeclared,
                            message:
                                "Référent absent de structures.yaml (\(people) personnes suivies) : capacité non vérifiée",
                            operatorCode: key.operatorCode, referent: key.referent))
                    continue
                }
                if load > etp + 1e-9 {
                    findings.append(
                        Finding(
                            severity: .warning, rule: .portfolioOverCapacity,
                            message:
                                "File active au-delà de la capacité : \(parts.joined(separator: ", ")), soit \(format(load)) ETP pour \(format(etp)) ETP",
                            operatorCode: key.operatorCode, referent: key.referent))
                }
            }
            for (key, count) in byStructure {
                guard let programme = programmes[key.fiche] else { continue }
                let stated = structures[key.operatorCode]?.fileActive[key.fiche]
                let limit: Int?
                switch programme.capacity {
                case .perStructure(let basis): limit = stated ?? basis
                case .setByOperator: limit = stated
                case .perETP: limit = nil
                }
                guard let limit else {
                    if case .setByOperator = programme.capacity {
                        findings.append(
                            Finding(
                                severity: .info, rule: .referentNotDeclared,
                                message:
                                    "File active de la fiche \(key.fiche.rawValue) non déclarée dans structures.yaml (\(count) personnes suivies) : capacité non vérifiée",
                                operatorCode: key.operatorCode, fiche: key.fiche))
                    }
                    continue
                }
                if count > limit {
                    findings.append(
                        Finding(
                            severity: .warning, rule: .fileActiveOverCapacity,
                            message:
                                "File active de la fiche \(key.fiche.rawValue) : \(count) personnes pour \(limit) prévues",
                            operatorCode: key.operatorCode, fiche: key.fiche))
                }
            }
        }

        /// `1`, `0.5`, `1.25`: two decimals at most, no Foundation.
        private func format(_ value: Double) -> String {
            let hundredths = Int(value * 100 + 0.5)
            let units = hundredths / 100
            let rest = hundredths % 100
            if rest == 0 { return String(units) }
            return rest % 10 == 0 ? "\(units),\(rest / 10)" : "\(units),\(rest < 10 ? "0" : "")\(rest)"
        }
    }
}
