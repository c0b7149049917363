import GatewayCore
import Testing

private typealias F = RuleFixtures

private func cv(deposited: String?, updated: String? = nil, status: CVProfileStatus = .active) -> CVDeposit {
    CVDeposit(
        person: PersonIdentity(), profileID: "JC-1", depositedOn: deposited.map(F.day), updatedOn: updated.map(F.day),
        profileStatus: status)
}

@Suite("CV deposit in Job Connexion (fiches 5 and 9)")
struct CVDepositReportTests {
    @Test("A CV exactly at the age limit counts; one day older does not")
    func ageLimit() {
        let max = CalendarSpan.months(6)
        #expect(
            CVDepositReport.missingReason(cv(deposited: "2026-05-02"), maxAge: max, asOf: F.day("2026-11-02")) == nil)
        #expect(
            CVDepositReport.missingReason(cv(deposited: "2026-05-01"), maxAge: max, asOf: F.day("2026-11-02"))
                == .tooOld)
        // An update renews the CV.
        #expect(
            CVDepositReport.missingReason(
                cv(deposited: "2025-01-01", updated: "2026-10-01"), maxAge: max, asOf: F.day("2026-11-02")) == nil)
        #expect(
            CVDepositReport.missingReason(
                cv(deposited: "2026-10-01", status: .archived), maxAge: max, asOf: F.day("2026-11-02"))
                == .archived)
        #expect(
            CVDepositReport.missingReason(nil, maxAge: max, asOf: F.day("2026-11-02"))
                == CVDepositReport.MissingCV.Reason.none)
        #expect(
            CVDepositReport.missingReason(cv(deposited: nil), maxAge: max, asOf: F.day("2026-11-02"))
                == CVDepositReport.MissingCV.Reason.none)
    }

    func cases() -> [FollowedCase] {
        [
            F.followed(
                "SP-1", fiche: .socioprofessional, start: "2026-10-05", jobReady: true, cv: cv(deposited: "2026-10-10"),
                person: "184***1"),
            F.followed("SP-2", fiche: .socioprofessional, start: "2026-10-05", jobReady: true, person: "279***2"),
            F.followed(
                "SP-3", fiche: .socioprofessional, start: "2026-10-12", jobReady: true, cv: cv(deposited: "2026-10-12"),
                referent: "Réf. P09", person: "188***3"),
            // Not job-ready, ended, not started, or fiche 1: not counted.
            F.followed("SP-4", fiche: .socioprofessional, start: "2026-10-05", jobReady: false),
            F.followed("SP-5", fiche: .socioprofessional, start: "2026-03-16", end: "2026-10-20", jobReady: true),
            F.followed("SP-6", fiche: .socioprofessional, start: "2026-12-01", jobReady: true),
            F.followed("A-1", fiche: .socialSupport, start: "2026-10-05", jobReady: true),
            // No référent: its own line, apart from the structure's total.
            F.followed(
                "SP-7", fiche: .socioprofessional, start: "2026-10-05", jobReady: true, referent: nil, person: "196***7"
            ),
            F.followed(
                "C9-1", fiche: .jobCoaching, start: "2026-10-05", jobReady: true, cv: cv(deposited: "2026-10-06")),
        ]
    }

    @Test("Per programme, structure and référent: job-ready, deposited, rate, missing people")
    func lines() throws {
        let report = CVDepositReport.compute(cases(), programmes: F.catalogue, asOf: F.day("2026-11-02"))
        let five = try #require(report.byProgramme.first { $0.fiche == .socioprofessional })
        #expect(five.jobReady == 4)
        #expect(five.deposited == 2)
        #expect(five.rate == 0.5)
        #expect(five.missingPersonKeys == ["196***7", "279***2"])
        #expect(!five.isComplete)
        let nine = try #require(report.byProgramme.first { $0.fiche == .jobCoaching })
        #expect(nine.rate == 1)
        #expect(nine.isComplete)
        #expect(report.byProgramme.count == 2)
        #expect(!report.allComplete)

        let structure = try #require(report.byStructure.first { $0.operatorCode == "OP67-SOCIOPRO" })
        #expect(structure.referent == nil)
        #expect(structure.jobReady == 4)
        let referents = report.byReferent.filter { $0.operatorCode == "OP67-SOCIOPRO" }
        #expect(referents.map(\.referent) == [nil, "Réf. P07", "Réf. P09"])
        #expect(referents.map(\.jobReady) == [1, 2, 1])
        #expect(referents.map(\.deposited) == [0, 1, 1])
        #expect(referents[1].missing.first?.accompanimentID == "SP-2")
        #expect(referents[1].missing.first?.reason == CVDepositReport.MissingCV.Reason.none)
    }

    @Test("The age limit can be overridden; every CV deposited makes the report complete")
    func overrideAndComplete() {
        let report = CVDepositReport.compute(
            cases(), programmes: F.catalogue, asOf: F.day("2026-11-02"), maxAge: .days(20))
        // SP-1 (2026-10-10) is 23 days old; SP-3 (10-12) 21 days; C9-1 (10-06) 27 days.
        #expect(report.byProgramme.map(\.deposited) == [0, 0])
        let complete = cases().filter { !$0.cvs.isEmpty }
        #expect(CVDepositReport.compute(complete, programmes: F.catalogue, asOf: F.day("2026-11-02")).allComplete)
    }

    @Test("Nobody job-ready: rate nil, the programme still listed and complete")
    func empty() {
        let report = CVDepositReport.compute([], programmes: F.catalogue, asOf: F.day("2026-11-02"))
        #expect(report.byProgramme.map(\.fiche) == [.socioprofessional, .jobCoaching])
        #expect(report.byProgramme.allSatisfy { $0.rate == nil })
        #expect(report.allComplete)
    }

    @Test("Only Job Connexion counts: a Cap emploi CV is shown apart, with since when the person waits")
    func otherPlatform() throws {
        let capEmploi = cv(deposited: "2026-10-01")
        let cases = [
            // Job-ready since 2026-10-08, a CV in Cap emploi only.
            F.followed(
                "SP-1", fiche: .socioprofessional, start: "2026-10-05", jobReady: true,
                otherCVs: ["cap-emploi": capEmploi], person: "184***1", jobReadySince: "2026-10-08"),
            // Both: Job Connexion counts, Cap emploi is not mentioned.
            F.followed(
                "SP-2", fiche: .socioprofessional, start: "2026-10-05", jobReady: true,
                cv: cv(deposited: "2026-10-02"), otherCVs: ["cap-emploi": capEmploi], person: "279***2"),
            // A Job Connexion CV too old (last touched 2026-03-01): missing since the day it stopped counting.
            F.followed(
                "SP-3", fiche: .socioprofessional, start: "2026-01-05", jobReady: true,
                cv: cv(deposited: "2026-03-01"), person: "188***3", jobReadySince: "2026-01-05"),
        ]
        let report = CVDepositReport.compute(cases, programmes: F.catalogue, asOf: F.day("2026-11-02"))
        let five = try #require(report.byProgramme.first { $0.fiche == .socioprofessional })
        #expect(five.jobReady == 3)
        #expect(five.deposited == 1)
        #expect(five.depositedElsewhere == 1)
        let referent = try #require(report.byReferent.first { $0.referent == "Réf. P07" })
        #expect(referent.missing.map(\.personKey) == ["184***1", "188***3"])
        let first = referent.missing[0]
        #expect(first.reason == CVDepositReport.MissingCV.Reason.none)
        #expect(first.since == F.day("2026-10-08"))
        #expect(first.elsewhere.map(\.platform) == ["cap-emploi"])
        #expect(first.elsewhere.first?.latest == F.day("2026-10-01"))
        let stale = referent.missing[1]
        #expect(stale.reason == .tooOld)
        #expect(stale.since == F.day("2026-09-02"))
        #expect(stale.elsewhere.isEmpty)

        // A programme naming Cap emploi too counts it.
        var catalogue = F.catalogue
        catalogue.programmes[.socioprofessional]?.cvDeposit?.platforms = [CVDeposit.jobConnexion, "cap-emploi"]
        let wider = CVDepositReport.compute(cases, programmes: catalogue, asOf: F.day("2026-11-02"))
        #expect(wider.byProgramme.first { $0.fiche == .socioprofessional }?.deposited == 2)
    }
}
