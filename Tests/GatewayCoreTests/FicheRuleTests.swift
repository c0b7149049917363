import GatewayCore
import Testing

private typealias F = RuleFixtures

private func only(_ rule: FindingRule, _ cases: [FollowedCase], asOf: String) -> [Finding] {
    F.findings(cases, asOf: asOf).filter { $0.rule == rule }
}

@Suite("Rule checks: what each fiche says of its public, territory, period, intake and reviews")
struct FicheRuleTests {
    @Test("Fiche 9 is for new entrants: flagged by the CNAF within 3 months of the start, either side")
    func newEntrants() {
        let asOf = "2026-10-20"
        let atStart = F.followed("C1", fiche: .jobCoaching, start: "2026-10-05")
        let afterStart = F.followed("C2", fiche: .jobCoaching, start: "2026-10-05", entered: "2026-12-31")
        let longBefore = F.followed("C3", fiche: .jobCoaching, start: "2026-10-05", entered: "2026-07-04")
        let never = F.followed("C4", fiche: .jobCoaching, start: "2026-10-05", entered: nil)
        let unmatched = F.followed(
            "C5", fiche: .jobCoaching, start: "2026-10-05", soumis: nil, right: nil, entered: nil)
        let otherFiche = F.followed("S1", fiche: .socioprofessional, start: "2026-10-05", entered: nil)
        #expect(only(.notNewEntrant, [atStart, afterStart, unmatched, otherFiche], asOf: asOf).isEmpty)
        let found = only(.notNewEntrant, [longBefore, never], asOf: asOf)
        #expect(found.map(\.accompanimentID) == ["C3", "C4"])
        #expect(found.allSatisfy { $0.severity == .info })
        #expect(found[0].message.contains("signalée entrante le 2026-07-04"))
        #expect(found[1].message.contains("jamais signalée entrante"))
        #expect(
            F.followed("C6", fiche: .jobCoaching, start: "2026-10-05", entered: "2026-07-05").isNewEntrant(
                within: .months(3)))
    }

    @Test("Isère PER runs 2023–2025: a start outside is a warning, so is an accompaniment still open after")
    func programmePeriod() {
        let inside = F.followed("R1", fiche: .parcoursEmploiRenforce, start: "2025-03-03")
        #expect(only(.outsideProgrammePeriod, [inside], asOf: "2025-12-31").isEmpty)
        let after = only(.outsideProgrammePeriod, [inside], asOf: "2026-01-01")
        #expect(after.map(\.severity) == [.warning])
        #expect(after.first?.due == F.day("2025-12-31"))
        let late = F.followed("R2", fiche: .parcoursEmploiRenforce, start: "2026-01-05")
        #expect(
            only(.outsideProgrammePeriod, [late], asOf: "2026-02-01").first?.message.contains("hors de la période")
                == true)
        let ended = F.followed("R3", fiche: .parcoursEmploiRenforce, start: "2025-03-03", end: "2025-11-28")
        #expect(only(.outsideProgrammePeriod, [ended], asOf: "2026-02-01").isEmpty)
        // Fiches without a period never raise it.
        let social = F.followed("A1", fiche: .socialSupport, start: "2019-01-07")
        #expect(only(.outsideProgrammePeriod, [social], asOf: "2026-02-01").isEmpty)
    }

    @Test("Isère PER counts the CER rate but requires no CER; fiche 1 does")
    func perWithoutCER() {
        let per = F.followed("R1", fiche: .parcoursEmploiRenforce, start: "2025-03-03", noCER: true)
        #expect(only(.cerMissing, [per], asOf: "2025-06-02").isEmpty)
        let social = F.followed("A1", fiche: .socialSupport, start: "2025-03-03", noCER: true)
        #expect(only(.cerMissing, [social], asOf: "2025-06-02").count == 1)
    }

    @Test("Fiche 4: the yearly intake the structure states, counted over the calendar year of the check")
    func yearlyIntake() {
        // The fixture's OP67-PASSERELLE takes 4 a year.
        let lastYear = F.followed("P0", fiche: .redynamisation, start: "2025-11-03", end: "2025-12-19")
        let thisYear = (1...4).map { F.followed("P\($0)", fiche: .redynamisation, start: "2026-0\($0)-05") }
        #expect(only(.yearlyIntakeExceeded, [lastYear] + thisYear, asOf: "2026-09-01").isEmpty)
        let fifth = F.followed("P5", fiche: .redynamisation, start: "2026-08-31", end: "2026-08-31")
        let found = only(.yearlyIntakeExceeded, [lastYear, fifth] + thisYear, asOf: "2026-09-01")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.message.contains("5 personnes entrées pour 4") == true)
        #expect(found.first?.operatorCode == "OP67-PASSERELLE")
        // Not yet started on the day of the check: not counted.
        #expect(only(.yearlyIntakeExceeded, [fifth] + thisYear, asOf: "2026-08-30").isEmpty)
    }

    @Test("Fiche 4: a review after 3 or 6 months, by its date or a CER renewed since the 3rd month")
    func review() {
        // CER of 6 months from the start (the fixture's default); reviews due by 2026-07-05.
        let none = F.followed("P1", fiche: .redynamisation, start: "2026-01-05")
        #expect(only(.reviewMissing, [none], asOf: "2026-07-05").isEmpty)
        let found = only(.reviewMissing, [none], asOf: "2026-07-06")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.due == F.day("2026-07-05"))
        #expect(found.first?.since == F.day("2026-04-05"))
        let reviewed = F.followed("P2", fiche: .redynamisation, start: "2026-01-05", review: "2026-04-10")
        let renewed = F.followed(
            "P3", fiche: .redynamisation, start: "2026-01-05", cer: ("2026-07-05", "2027-01-04"))
        #expect(only(.reviewMissing, [reviewed, renewed], asOf: "2026-09-01").isEmpty)
        // Fiches without reviews never raise it.
        #expect(
            only(.reviewMissing, [F.followed("A", fiche: .socialSupport, start: "2026-01-05")], asOf: "2026-09-01")
                .isEmpty)
    }

    @Test("Fiche 4: ended before its 3 months' minimum without an exit to work: info, for a month after")
    func minimumDuration() {
        let short = F.followed("P1", fiche: .redynamisation, start: "2026-01-05", end: "2026-03-20")
        let found = only(.endedBeforeMinimum, [short], asOf: "2026-04-01")
        #expect(found.map(\.severity) == [.info])
        #expect(found.first?.since == F.day("2026-03-20"))
        #expect(only(.endedBeforeMinimum, [short], asOf: "2026-04-20").isEmpty)
        let toWork = F.followed(
            "P2", fiche: .redynamisation, start: "2026-01-05", end: "2026-03-20", exit: (.cdi, "2026-03-20"))
        let fullLength = F.followed("P3", fiche: .redynamisation, start: "2026-01-05", end: "2026-04-04")
        #expect(only(.endedBeforeMinimum, [toWork, fullLength], asOf: "2026-04-10").isEmpty)
        let oneDayShort = F.followed("P4", fiche: .redynamisation, start: "2026-01-05", end: "2026-04-03")
        #expect(only(.endedBeforeMinimum, [oneDayShort], asOf: "2026-04-10").count == 1)
    }
}
