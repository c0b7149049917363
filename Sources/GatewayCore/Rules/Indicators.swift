/// The results indicators over a period `[from, to]` (both days included), per fiche and structure, against the
/// fiches' targets, and Isère's PER indicators. `docs/indicators.md` gives the same definitions, for the data team.
///
/// Common ground:
/// - The unit is the accompaniment: one person accompanied twice in the period by one structure counts twice
///   (person keys are masked and cannot tell two people apart).
/// - **Accompagnés sur la période** (A): accompaniments in progress on at least one day of `[from, to]`: started on
///   or before `to`, not ended before `from` (``Accompaniment/isActive(from:to:)``). The last day of an
///   accompaniment is the earliest of its end, exit and reorientation dates.
/// - **Date de sortie**: the exit's date, else the accompaniment's last day.
public struct Indicators: Sendable, Hashable {
    /// A share with its parts and the fiche's target.
    public struct Rate: Sendable, Hashable {
        public var numerator: Int
        public var denominator: Int
        /// The fiche's target, in percent.
        public var targetPercent: Double?

        public init(numerator: Int, denominator: Int, targetPercent: Double?) {
            self.numerator = numerator
            self.denominator = denominator
            self.targetPercent = targetPercent
        }

        /// Numerator / denominator in percent, nil when the denominator is 0.
        public var percent: Double? { denominator == 0 ? nil : Double(numerator) * 100 / Double(denominator) }
        /// Whether the target is reached; nil without a target or a denominator.
        public var meetsTarget: Bool? {
            guard let targetPercent, let percent else { return nil }
            return percent >= targetPercent - 1e-9
        }
    }

    /// The fiche's results for one structure (`operatorCode` nil: every structure of the fiche).
    public struct FicheResults: Sendable, Hashable {
        public var fiche: Fiche
        public var operatorCode: String?
        /// A: accompaniments in progress on at least one day of the period.
        public var accompanied: Int
        /// Accompaniments of A whose last day falls in the period.
        public var ended: Int
        /// **Taux de reprise d'activité ou d'emploi** = accompaniments of A with an exit of a `reprise-activite` type
        /// (programmes.yaml) dated in the period / A.
        public var repriseActivite: Rate
        /// **Taux de sortie du dispositif liée à l'emploi** = accompaniments of A with an exit of a `sortie-emploi`
        /// type dated in the period / A; where the fiche says « sortie du dispositif rSa » (fiche 9:
        /// `sortie-emploi-needs-right-closed`), **and** the household's RSA right closed in the latest CNAF state.
        public var sortieEmploi: Rate
        /// Accompaniments of A started in the period.
        public var started: Int
        /// For a fiche aimed at new entrants (fiche 9): among `started`, people the CNAF files flagged as entering
        /// droits et devoirs around the start (``FollowedCase/isNewEntrant(within:)``); nil for other fiches.
        public var newEntrants: Int?
        /// When the fiche observes exits after the end (fiche 9: M+1, M+3, M+6): the days, counted from `to`, on
        /// which to compute the indicator again so every exit of the period has been observed.
        public var observationDates: [LocalDate]
    }

    /// Isère's PER indicators for one structure (`operatorCode` nil: every structure).
    public struct PERResults: Sendable, Hashable {
        public var operatorCode: String?
        /// **Nombre d'allocataires accompagnés**: A.
        public var accompanied: Int
        /// Accompaniments started in the period.
        public var newEntries: Int
        /// Accompaniments of A with a CER covering at least one day of the period (CER end: its end date, else its
        /// start + the fiche's CER duration, else open-ended).
        public var withCER: Int
        /// **Taux de contractualisation**: withCER / A.
        public var cerRate: Rate
        /// Meetings of A dated in the period (individual and collective participations).
        public var actions: Int
        /// Among them, employer-related ones (immersion, company visits, job dating…).
        public var employerActions: Int
        /// **Nombre d'actions par allocataire**: actions / A; nil when A is 0.
        public var actionsPerPerson: Double?
        /// **…notamment en lien avec l'emploi**: employerActions / A.
        public var employerActionsPerPerson: Double?
        /// **Nombre d'actions collectives réalisées**: distinct days with at least one collective meeting in the
        /// structure in the period (a session is one day of one structure: the files carry no session id).
        public var collectiveSessions: Int
        /// Collective meetings of A in the period, one per participant.
        public var collectiveParticipations: Int
        /// Accompaniments of A whose last day falls in the period.
        public var ended: Int
        /// **Durée moyenne d'accompagnement**: mean of (last day − start + 1) in days over `ended`; nil when none.
        public var meanDurationDays: Double?
        /// **Nombre de sorties emploi/formation (typologie)**: accompaniments of A with an exit dated in the period,
        /// by exit type.
        public var exitsByType: [ExitType: Int]
        /// **Nombre de réorientations**: accompaniments of A with a reorientation dated in the period (an undated one
        /// counts when the accompaniment's last day is in the period).
        public var reorientations: Int
        /// Reorientations by destination as the operator writes it (« non précisée » when empty).
        public var reorientationsByDestination: [String: Int]

        public var exits: Int { exitsByType.values.reduce(0, +) }
    }

    public var from: LocalDate
    public var to: LocalDate
    /// Per fiche and structure, sorted by fiche then operator.
    public var byFicheAndStructure: [FicheResults]
    /// Per fiche, every structure together.
    public var byFiche: [FicheResults]
    /// Per structure running a programme with PER indicators.
    public var perByStructure: [PERResults]
    /// Every PER structure together; nil when no programme has PER indicators.
    public var perTotal: PERResults?

    /// Computes every indicator in one pass over the cases and their meetings.
    /// Targets are the structure's own where `structures.yaml` sets them (fiche 4), else the fiche's.
    public static func compute(
        _ cases: [FollowedCase], programmes: ProgrammeCatalogue,
        structures: StructureCatalogue = StructureCatalogue([]),
        from: LocalDate, to: LocalDate
    ) -> Indicators {
        struct Key: Hashable {
            var fiche: Fiche
            var operatorCode: String?
        }
        var fiches: [Key: FicheResults] = [:]
        var per: [String?: PERResults] = [:]
        var perDurationDays: [String?: Int] = [:]
        var perCollectiveDays: [String: Set<Int>] = [:]
        let period = from...to

        for followed in cases {
            let accompaniment = followed.accompaniment
            guard let programme = programmes[accompaniment.fiche], accompaniment.isActive(from: from, to: to)
            else { continue }
            let last = accompaniment.closingDate
            let endedInPeriod = last.map(period.contains) ?? false
            let exitDate = accompaniment.exit.flatMap { $0.date ?? last }
            let exitInPeriod = exitDate.map(period.contains) ?? false
            let exitType = accompaniment.exit?.type
            let reprise = exitInPeriod && exitType.map(programmes.repriseActiviteExits.contains) == true
            let sortie =
                exitInPeriod && exitType.map(programmes.sortieEmploiExits.contains) == true
                && (!programme.sortieEmploiNeedsRightClosed || followed.rightState?.isClosed == true)
            let startedInPeriod = period.contains(accompaniment.startDate)
            let newEntrant = programme.newEntrantsWithin.map { startedInPeriod && followed.isNewEntrant(within: $0) }

            for operatorCode in [accompaniment.operatorCode, nil] as [String?] {
                let key = Key(fiche: accompaniment.fiche, operatorCode: operatorCode)
                let targets = operatorCode.flatMap { structures[$0] }?.targets(for: programme) ?? programme.targets
                var results =
                    fiches[key]
                    ?? FicheResults(
                        fiche: programme.fiche, operatorCode: operatorCode, accompanied: 0, ended: 0,
                        repriseActivite: Rate(numerator: 0, denominator: 0, targetPercent: targets.repriseActivite),
                        sortieEmploi: Rate(numerator: 0, denominator: 0, targetPercent: targets.sortieEmploi),
                        started: 0, newEntrants: programme.newEntrantsWithin == nil ? nil : 0,
                        observationDates: programme.outcomeCheckpoints.map { $0.after(to) })
                results.accompanied += 1
                if startedInPeriod { results.started += 1 }
                if newEntrant == true { results.newEntrants? += 1 }
                results.repriseActivite.denominator += 1
                results.sortieEmploi.denominator += 1
                if endedInPeriod { results.ended += 1 }
                if reprise { results.repriseActivite.numerator += 1 }
                if sortie { results.sortieEmploi.numerator += 1 }
                fiches[key] = results
            }

            guard programme.perIndicators else { continue }
            var cer = false
            if let cerStart = accompaniment.cerStart ?? accompaniment.cerEnd, cerStart <= to {
                let cerEnd =
                    accompaniment.cerEnd
                    ?? programme.cer.duration.map { $0.after(cerStart).adding(days: -1) }
                cer = cerEnd.map { $0 >= from } ?? true
            }
            var actions = 0
            var employerActions = 0
            var collective = 0
            var collectiveDays: [Int] = []
            for meeting in accompaniment.meetings where period.contains(meeting.date) {
                actions += 1
                if meeting.employerRelated == true { employerActions += 1 }
                if meeting.mode == .collective {
                    collective += 1
                    collectiveDays.append(meeting.date.daysSinceEpoch)
                }
            }
            if !collectiveDays.isEmpty {
                perCollectiveDays[accompaniment.operatorCode, default: []].formUnion(collectiveDays)
            }
            let reoriented: Bool
            if let date = accompaniment.reorientationDate {
                reoriented = period.contains(date)
            } else {
                reoriented = accompaniment.reorientation != nil && endedInPeriod
            }
            for operatorCode in [accompaniment.operatorCode, nil] as [String?] {
                var results =
                    per[operatorCode]
                    ?? PERResults(
                        operatorCode: operatorCode, accompanied: 0, newEntries: 0, withCER: 0,
                        cerRate: Rate(numerator: 0, denominator: 0, targetPercent: nil), actions: 0,
                        employerActions: 0, collectiveSessions: 0, collectiveParticipations: 0, ended: 0,
                        exitsByType: [:], reorientations: 0, reorientationsByDestination: [:])
                results.accompanied += 1
                if startedInPeriod { results.newEntries += 1 }
                if cer { results.withCER += 1 }
                results.actions += actions
                results.employerActions += employerActions
                results.collectiveParticipations += collective
                if endedInPeriod, let last {
                    results.ended += 1
                    perDurationDays[operatorCode, default: 0] +=
                        last.daysSinceEpoch - accompaniment.startDate.daysSinceEpoch + 1
                }
                if exitInPeriod, let exitType { results.exitsByType[exitType, default: 0] += 1 }
                if reoriented {
                    results.reorientations += 1
                    let destination = accompaniment.reorientation.flatMap { $0.isEmpty ? nil : $0 } ?? "non précisée"
                    results.reorientationsByDestination[destination, default: 0] += 1
                }
                per[operatorCode] = results
            }
        }

        for (operatorCode, var results) in per {
            let people = Double(results.accompanied)
            results.cerRate = Rate(numerator: results.withCER, denominator: results.accompanied, targetPercent: nil)
            results.actionsPerPerson = results.accompanied == 0 ? nil : Double(results.actions) / people
            results.employerActionsPerPerson = results.accompanied == 0 ? nil : Double(results.employerActions) / people
            results.meanDurationDays =
                results.ended == 0 ? nil : Double(perDurationDays[operatorCode] ?? 0) / Double(results.ended)
            if let operatorCode {
                results.collectiveSessions = perCollectiveDays[operatorCode]?.count ?? 0
            } else {
                results.collectiveSessions = perCollectiveDays.values.reduce(0) { $0 + $1.count }
            }
            per[operatorCode] = results
        }

        let sortedFiches = fiches.values.sorted {
            ($0.fiche.rawValue, $0.operatorCode ?? "") < ($1.fiche.rawValue, $1.operatorCode ?? "")
        }
        return Indicators(
            from: from, to: to, byFicheAndStructure: sortedFiches.filter { $0.operatorCode != nil },
            byFiche: sortedFiches.filter { $0.operatorCode == nil },
            perByStructure: per.values.filter { $0.operatorCode != nil }.sorted {
                ($0.operatorCode ?? "") < ($1.operatorCode ?? "")
            },
            perTotal: per[nil] ?? (programmes.programmes.values.contains(where: \.perIndicators) ? emptyPER : nil))
    }

    private static let emptyPER = PERResults(
        operatorCode: nil, accompanied: 0, newEntries: 0, withCER: 0,
        cerRate: Rate(numerator: 0, denominator: 0, targetPercent: nil), actions: 0, employerActions: 0,
        collectiveSessions: 0, collectiveParticipations: 0, ended: 0, exitsByType: [:], reorientations: 0,
        reorientationsByDestination: [:])
}
