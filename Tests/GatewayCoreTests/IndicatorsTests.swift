import GatewayCore
import Testing

private typealias F = RuleFixtures

@Suite("Indicators over a period")
struct IndicatorsTests {
    let from = F.day("2026-07-01")
    let to = F.day("2026-09-30")

    @Test("Fiche 5: reprise d'activité and sortie liée à l'emploi against the targets")
    func ficheRates() throws {
        let cases = [
            // Exit to a job in the period, right closed: both rates.
            F.followed(
                "S1", fiche: .socioprofessional, start: "2026-03-16", end: "2026-08-20", exit: (.cdi, "2026-08-20"),
                right: .closed),
            // Training in the period: reprise only.
            F.followed(
                "S2", fiche: .socioprofessional, start: "2026-03-16", end: "2026-09-01",
                exit: (.qualifyingTraining, "2026-09-01")),
            // Job in the period, the right still open: fiche 5 says « sortie du dispositif » (the accompaniment),
            // not « du dispositif rSa »: both rates.
            F.followed(
                "S3", fiche: .socioprofessional, start: "2026-05-04", end: "2026-09-30", exit: (.temporaryWork, nil)),
            // In progress, no exit.
            F.followed("S4", fiche: .socioprofessional, start: "2026-09-30"),
            // Exit after the period: accompanied, not counted as an exit.
            F.followed(
                "S5", fiche: .socioprofessional, start: "2026-06-01", end: "2026-10-02", exit: (.cdi, "2026-10-02"),
                right: .closed),
            // Outside the period: ended the day before it starts, starts the day after it ends.
            F.followed(
                "S6", fiche: .socioprofessional, start: "2026-01-05", end: "2026-06-30", exit: (.cdi, "2026-06-30"),
                right: .closed),
            F.followed("S7", fiche: .socioprofessional, start: "2026-10-01"),
            // Another structure.
            F.followed(
                "S8", fiche: .socioprofessional, start: "2026-07-01", exit: (.cdi, "2026-07-31"), right: .closed,
                operatorCode: "OP68-SOCIOPRO"),
        ]
        let indicators = Indicators.compute(cases, programmes: F.catalogue, from: from, to: to)
        let structure = try #require(indicators.byFicheAndStructure.first { $0.operatorCode == "OP67-SOCIOPRO" })
        #expect(structure.accompanied == 5)
        #expect(structure.ended == 3)
        #expect(structure.repriseActivite.numerator == 3)
        #expect(structure.repriseActivite.percent == 60)
        #expect(structure.repriseActivite.meetsTarget == true)
        #expect(structure.sortieEmploi.numerator == 2)
        #expect(structure.sortieEmploi.percent == 40)
        #expect(structure.sortieEmploi.targetPercent == 30)
        #expect(structure.sortieEmploi.meetsTarget == true)
        let fiche = try #require(indicators.byFiche.first { $0.fiche == .socioprofessional })
        #expect(fiche.accompanied == 6)
        #expect(fiche.sortieEmploi.numerator == 3)
        #expect(fiche.newEntrants == nil)
        #expect(indicators.byFicheAndStructure.map(\.operatorCode) == ["OP67-SOCIOPRO", "OP68-SOCIOPRO"])
    }

    @Test("Fiche 9 « sortie du dispositif rSa »: the exit counts only with the RSA right closed; new entrants counted")
    func ficheNineWording() throws {
        let cases = [
            F.followed("C1", fiche: .jobCoaching, start: "2026-07-01", end: "2026-08-14", exit: (.cdi, "2026-08-14")),
            F.followed(
                "C2", fiche: .jobCoaching, start: "2026-07-06", end: "2026-08-20", exit: (.cdi, "2026-08-20"),
                right: .closed),
            // Started before the period, flagged long before it: not a new entrant, not counted as started.
            F.followed("C3", fiche: .jobCoaching, start: "2026-06-15", entered: "2025-01-31"),
            // Started in the period, never flagged by the CNAF.
            F.followed("C4", fiche: .jobCoaching, start: "2026-09-01", entered: nil),
        ]
        let indicators = Indicators.compute(cases, programmes: F.catalogue, from: from, to: to)
        let nine = try #require(indicators.byFiche.first { $0.fiche == .jobCoaching })
        #expect(nine.repriseActivite.numerator == 2)
        #expect(nine.sortieEmploi.numerator == 1)
        #expect(nine.started == 3)
        #expect(nine.newEntrants == 2)
    }

    @Test("A structure's own targets (fiche 4 « à adapter ») replace the fiche's, target by target")
    func structureTargets() throws {
        let cases = [
            F.followed("P1", fiche: .redynamisation, start: "2026-07-01"),
            F.followed("P2", fiche: .redynamisation, start: "2026-07-01", operatorCode: "OP68-PASSERELLE"),
        ]
        let indicators = Indicators.compute(
            cases, programmes: F.catalogue, structures: F.structures, from: from, to: to)
        let own = try #require(indicators.byFicheAndStructure.first { $0.operatorCode == "OP67-PASSERELLE" })
        #expect(own.repriseActivite.targetPercent == 25)
        #expect(own.sortieEmploi.targetPercent == 20)
        let other = try #require(indicators.byFicheAndStructure.first { $0.operatorCode == "OP68-PASSERELLE" })
        #expect(other.repriseActivite.targetPercent == 30)
        let fiche = try #require(indicators.byFiche.first { $0.fiche == .redynamisation })
        #expect(fiche.repriseActivite.targetPercent == 30)
    }

    @Test("Fiche 9: observation dates at M+1, M+3, M+6 after the period; no denominator gives no rate")
    func observation() throws {
        let cases = [F.followed("C1", fiche: .jobCoaching, start: "2026-07-01", end: "2026-09-30")]
        let indicators = Indicators.compute(cases, programmes: F.catalogue, from: from, to: to)
        let nine = try #require(indicators.byFiche.first)
        #expect(nine.observationDates == [F.day("2026-10-30"), F.day("2026-12-30"), F.day("2027-03-30")])
        #expect(nine.repriseActivite.percent == 0)
        let none = Indicators.compute([], programmes: F.catalogue, from: from, to: to)
        #expect(none.byFiche.isEmpty)
        #expect(none.perTotal?.accompanied == 0)
        #expect(Indicators.Rate(numerator: 0, denominator: 0, targetPercent: 40).meetsTarget == nil)
    }

    @Test("Isère PER indicators")
    func per() throws {
        let cases = [
            // Started before, ended in the period with training; CER in force; 3 actions in the period, 1 employer.
            F.followed(
                "R1", fiche: .parcoursEmploiRenforce, start: "2026-03-02", end: "2026-08-31",
                meetings: ["2026-06-15", "2026-07-06"], collective: ["2026-07-10"], employer: ["2026-08-04"],
                exit: (.qualifyingTraining, "2026-08-31")),
            // New in the period, no CER, collective session the same day as R1's: one session.
            F.followed(
                "R2", fiche: .parcoursEmploiRenforce, start: "2026-07-06", noCER: true,
                collective: ["2026-07-10", "2026-09-11"]),
            // Reoriented in the period to droit commun; CER ended before the period.
            F.followed(
                "R3", fiche: .parcoursEmploiRenforce, start: "2025-10-06", cer: ("2025-10-06", "2026-04-05"),
                meetings: ["2026-07-02"], reorientation: ("France Travail (droit commun)", "2026-07-20")),
            // Exit to a CDI in the period.
            F.followed(
                "R4", fiche: .parcoursEmploiRenforce, start: "2026-06-01", end: "2026-09-29", exit: (.cdi, "2026-09-29")
            ),
            // Another structure's PER.
            F.followed(
                "R5", fiche: .parcoursEmploiRenforce, start: "2026-07-01", collective: ["2026-07-10"],
                operatorCode: "OP38-PER"),
        ]
        let indicators = Indicators.compute(cases, programmes: F.catalogue, from: from, to: to)
        let per = try #require(indicators.perByStructure.first { $0.operatorCode == "OP67-PER" })
        #expect(per.accompanied == 4)
        #expect(per.newEntries == 1)
        #expect(per.withCER == 2)
        #expect(per.cerRate.percent == 50)
        #expect(per.actions == 6)
        #expect(per.employerActions == 1)
        #expect(per.actionsPerPerson == 1.5)
        #expect(per.employerActionsPerPerson == 0.25)
        #expect(per.collectiveSessions == 2)
        #expect(per.collectiveParticipations == 3)
        #expect(per.ended == 3)
        // R1: 2026-03-02 → 08-31 is 183 days; R3: 2025-10-06 → 2026-07-20 is 288 days; R4: 06-01 → 09-29 is 121.
        #expect(per.meanDurationDays == Double(183 + 288 + 121) / 3)
        #expect(per.exitsByType == [.qualifyingTraining: 1, .cdi: 1])
        #expect(per.exits == 2)
        #expect(per.reorientations == 1)
        #expect(per.reorientationsByDestination == ["France Travail (droit commun)": 1])
        let total = try #require(indicators.perTotal)
        #expect(total.accompanied == 5)
        #expect(total.collectiveSessions == 3)
        #expect(indicators.perByStructure.map(\.operatorCode) == ["OP38-PER", "OP67-PER"])
    }
}
