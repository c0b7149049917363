import GatewayCore

/// Small hand-made cases for the programme rules; the catalogue mirrors Mappings/programmes.yaml.
enum RuleFixtures {
    static func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

    static let catalogue = ProgrammeCatalogue(programmes: [
        Programme(
            fiche: .socialSupport, title: "Accompagnement social", capacity: .perETP(100),
            cer: .init(duration: .months(6), renewable: true), contact: .every(.weeks(6)),
            contactModes: [.individual, .collective, .telephone], targets: .init(repriseActivite: 15, sortieEmploi: 15)),
        Programme(
            fiche: .redynamisation, title: "Passerelle", territory: ["67", "68"], yearlyIntakeSetByOperator: true,
            capacity: .setByOperator,
            cer: .init(duration: .months(6), renewable: true), contact: .atLeast(2, per: .week),
            duration: .init(maximum: .months(24), minimum: .months(3), reviews: [.months(3), .months(6)]),
            targets: .init(repriseActivite: 30, sortieEmploi: 20)),
        Programme(
            fiche: .socioprofessional, title: "Socioprofessionnel", capacity: .perETP(80),
            cer: .init(duration: .months(6), renewable: true), contact: .atLeast(2, per: .month),
            duration: .init(initial: .months(12), renewal: .months(6), maxRenewals: 2),
            targets: .init(repriseActivite: 40, sortieEmploi: 30),
            cvDeposit: .init(requiredPercent: 100, maxAge: .months(6)), jobFollowUp: .init(duration: .months(6))),
        Programme(
            fiche: .jobCoaching, title: "Coaching emploi", territory: ["68"], newEntrantsWithin: .months(3),
            sortieEmploiNeedsRightClosed: true, capacity: .perETP(40),
            cer: .init(duration: .months(3), renewable: false), contact: .atLeast(2, per: .week),
            duration: .init(initial: .months(3), afterLimit: "reorientation"),
            targets: .init(repriseActivite: 60, sortieEmploi: 50),
            cvDeposit: .init(requiredPercent: 100, maxAge: .months(6)),
            outcomeCheckpoints: [.months(1), .months(3), .months(6)]),
        Programme(
            fiche: .parcoursEmploiRenforce, title: "PER", territory: ["38"],
            period: .init(from: day("2023-01-01"), to: day("2025-12-31")), capacity: .perStructure(70),
            cer: .init(duration: nil, renewable: true, required: false),
            jobFollowUp: .init(duration: .months(6), minimum: .months(3)), perIndicators: true),
    ])

    static let structures = StructureCatalogue([
        Structure(code: "OP67-SOCIAL", name: "Social", fiches: [.socialSupport], referents: ["Réf. S12": 1]),
        Structure(
            code: "OP67-PASSERELLE", name: "Passerelle", fiches: [.redynamisation], fileActive: [.redynamisation: 3],
            referents: ["Réf. P03": 1], yearlyIntake: [.redynamisation: 4],
            targets: [.redynamisation: .init(repriseActivite: 25, sortieEmploi: nil)]),
        Structure(
            code: "OP67-SOCIOPRO", name: "Sociopro", fiches: [.socioprofessional, .jobCoaching],
            referents: ["Réf. P07": 1, "Réf. P09": 0.5]),
        Structure(code: "OP68-COACHING", name: "Coaching", fiches: [.jobCoaching], referents: ["Réf. C11": 1]),
        Structure(code: "OP67-PER", name: "PER", fiches: [.parcoursEmploiRenforce], referents: ["Réf. R02": 1]),
    ])

    static let operators: [Fiche: String] = [
        .socialSupport: "OP67-SOCIAL", .redynamisation: "OP67-PASSERELLE", .socioprofessional: "OP67-SOCIOPRO",
        .jobCoaching: "OP68-COACHING", .parcoursEmploiRenforce: "OP67-PER",
    ]
    static let referents: [Fiche: String] = [
        .socialSupport: "Réf. S12", .redynamisation: "Réf. P03", .socioprofessional: "Réf. P07",
        .jobCoaching: "Réf. C11", .parcoursEmploiRenforce: "Réf. R02",
    ]

    /// An accompaniment with a CER over its first months, matched, soumis, right open, unless told otherwise.
    static func followed(
        _ id: String, fiche: Fiche, start: String, end: String? = nil, cer: (String, String)? = nil,
        noCER: Bool = false, meetings: [String] = [], collective: [String] = [], employer: [String] = [],
        telephone: [String] = [], video: [String] = [],
        exit: (ExitType, String?)? = nil, reorientation: (String, String?)? = nil, jobReady: Bool? = nil,
        soumis: Bool? = true, right: RightState? = .openPaid, cv: CVDeposit? = nil, otherCVs: [String: CVDeposit] = [:],
        operatorCode: String? = nil, referent: String? = "", person: String? = nil, entered: String? = "start",
        review: String? = nil, jobReadySince: String? = nil
    ) -> FollowedCase {
        let startDay = day(start)
        let cerDates: (LocalDate, LocalDate)? =
            noCER ? nil : cer.map { (day($0.0), day($0.1)) } ?? (startDay, startDay.adding(months: 6).adding(days: -1))
        var all: [Meeting] = meetings.map { Meeting(date: day($0), mode: .individual, employerRelated: false) }
        all += collective.map { Meeting(date: day($0), mode: .collective, employerRelated: false) }
        all += employer.map { Meeting(date: day($0), mode: .individual, employerRelated: true) }
        all += telephone.map { Meeting(date: day($0), mode: .telephone, employerRelated: false) }
        all += video.map { Meeting(date: day($0), mode: .video, employerRelated: false) }
        all.sort { $0.date < $1.date }
        let accompaniment = Accompaniment(
            person: PersonIdentity(), id: id, operatorCode: operatorCode ?? operators[fiche]!, fiche: fiche,
            referent: referent == "" ? referents[fiche] : referent, startDate: startDay, endDate: end.map(day),
            cerStart: cerDates?.0, cerEnd: cerDates?.1, jobReady: jobReady, jobReadySince: jobReadySince.map(day),
            reviewDate: review.map(day),
            exit: exit.map { AccompanimentExit(type: $0.0, date: $0.1.map(day)) },
            reorientation: reorientation?.0, reorientationDate: reorientation?.1.map(day), meetings: all)
        var cvs = otherCVs
        cvs[CVDeposit.jobConnexion] = cv
        // A new entrant by default (flagged the day the accompaniment starts): fiche 9 expects one.
        return FollowedCase(
            personKey: person ?? "184****" + id, accompaniment: accompaniment, soumisDroitsDevoirs: soumis,
            rightState: right, enteredDroitsDevoirs: entered == "start" ? startDay : entered.map(day), cvs: cvs)
    }

    /// Dates every `step` days from `start` while before `until`.
    static func every(_ step: Int, from start: String, until: String) -> [String] {
        var dates: [String] = []
        var current = day(start)
        while current < day(until) {
            dates.append(current.iso)
            current = current.adding(days: step)
        }
        return dates
    }

    static func findings(_ cases: [FollowedCase], asOf: String) -> [Finding] {
        RuleChecks.findings(cases, programmes: catalogue, structures: structures, asOf: day(asOf))
    }

    static func rules(_ cases: [FollowedCase], asOf: String) -> [FindingRule] {
        findings(cases, asOf: asOf).map(\.rule)
    }
}
