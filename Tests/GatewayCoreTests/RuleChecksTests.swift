import GatewayCore
import Testing

private typealias F = RuleFixtures

/// The findings of one rule for the cases on a day.
private func only(_ rule: FindingRule, _ cases: [FollowedCase], asOf: String) -> [Finding] {
    F.findings(cases, asOf: asOf).filter { $0.rule == rule }
}

@Suite("Rule checks: contact frequency")
struct ContactFrequencyTests {
    @Test("Fiche 1: exactly 6 weeks between meetings is not a breach")
    func exactlySixWeeks() {
        let meetings = F.every(42, from: "2026-03-02", until: "2026-09-01")
        let followed = F.followed("A", fiche: .socialSupport, start: "2026-03-02", meetings: meetings)
        // Meetings 2026-03-02, 04-13, 05-25, 07-06, 08-17; 42 days after the last is 2026-09-28.
        #expect(meetings.last == "2026-08-17")
        #expect(only(.contactFrequency, [followed], asOf: "2026-09-28").isEmpty)
        let late = only(.contactFrequency, [followed], asOf: "2026-09-29")
        #expect(late.count == 1)
        #expect(late.first?.severity == .warning)
        #expect(late.first?.since == F.day("2026-08-17"))
        #expect(late.first?.due == F.day("2026-09-28"))
    }

    @Test("Fiche 1: a telephone interview is a contact, a video call is not (« en présentiel ou par téléphone »)")
    func contactModes() {
        let byPhone = F.followed("A", fiche: .socialSupport, start: "2026-03-02", telephone: ["2026-04-10"])
        #expect(only(.contactFrequency, [byPhone], asOf: "2026-05-20").isEmpty)
        let byVideo = F.followed("A", fiche: .socialSupport, start: "2026-03-02", video: ["2026-04-10"])
        let found = only(.contactFrequency, [byVideo], asOf: "2026-05-20")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.message.contains("depuis le début") == true)
    }

    @Test("Fiche 1: 43 days between two meetings is a past breach (info) once contact resumed")
    func pastGap() {
        let followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", meetings: ["2026-03-02", "2026-04-14", "2026-05-01"])
        let found = only(.contactFrequency, [followed], asOf: "2026-05-10")
        #expect(found.map(\.severity) == [.info])
        #expect(found.first?.since == F.day("2026-03-02"))
    }

    @Test("Fiche 1: no meeting at all counts from the start")
    func noMeeting() {
        let followed = F.followed("A", fiche: .socialSupport, start: "2026-03-02")
        #expect(only(.contactFrequency, [followed], asOf: "2026-04-13").isEmpty)
        let found = only(.contactFrequency, [followed], asOf: "2026-04-14")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.message.contains("depuis le début") == true)
    }

    @Test("Fiche 9: two meetings in every full week; the partial first week and the current week are not judged")
    func twiceAWeek() {
        // Start on Wednesday 2026-09-02; full weeks from Monday 2026-09-07.
        let meetings = ["2026-09-02", "2026-09-07", "2026-09-10", "2026-09-14", "2026-09-18", "2026-09-21"]
        let followed = F.followed("C", fiche: .jobCoaching, start: "2026-09-02", meetings: meetings)
        // 2026-09-23: weeks of 7 and 14 September judged, both have two meetings; the week of the 21st is current.
        #expect(only(.contactFrequency, [followed], asOf: "2026-09-23").isEmpty)
        // 2026-09-28: the week of the 21st had one meeting: the last full week, so a warning.
        let found = only(.contactFrequency, [followed], asOf: "2026-09-28")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.since == F.day("2026-09-21"))
        #expect(found.first?.due == F.day("2026-09-27"))
    }

    @Test("Fiche 9: a short week in the past, full weeks since: info")
    func pastShortWeek() {
        let meetings = ["2026-09-07", "2026-09-14", "2026-09-15", "2026-09-21", "2026-09-22"]
        let followed = F.followed("C", fiche: .jobCoaching, start: "2026-09-07", meetings: meetings)
        let found = only(.contactFrequency, [followed], asOf: "2026-09-28")
        #expect(found.map(\.severity) == [.info])
        #expect(found.first?.since == F.day("2026-09-07"))
    }

    @Test("Fiche 5: twice a month in full calendar months")
    func twiceAMonth() {
        let good = F.followed(
            "S", fiche: .socioprofessional, start: "2026-03-16",
            meetings: ["2026-03-16", "2026-04-01", "2026-04-20", "2026-05-05", "2026-05-25"])
        #expect(only(.contactFrequency, [good], asOf: "2026-06-10").isEmpty)
        let short = F.followed(
            "S", fiche: .socioprofessional, start: "2026-04-01",
            meetings: ["2026-04-01", "2026-04-20", "2026-05-05"])
        let found = only(.contactFrequency, [short], asOf: "2026-06-10")
        #expect(found.first?.since == F.day("2026-05-01"))
        #expect(found.first?.severity == .warning)
    }

    @Test("Unsorted meetings are sorted before counting")
    func unsorted() {
        var followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", meetings: ["2026-03-02", "2026-04-10", "2026-05-20"])
        followed.accompaniment.meetings.reverse()
        #expect(only(.contactFrequency, [followed], asOf: "2026-06-01").isEmpty)
    }

    @Test("PER has no contact frequency")
    func perHasNone() {
        let followed = F.followed("R", fiche: .parcoursEmploiRenforce, start: "2026-01-05")
        #expect(only(.contactFrequency, [followed], asOf: "2026-06-01").isEmpty)
    }
}

@Suite("Rule checks: CER")
struct CERRuleTests {
    @Test("Missing CER: nothing during the grace month, critical after")
    func missing() {
        let followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", noCER: true, meetings: ["2026-03-02"])
        #expect(only(.cerMissing, [followed], asOf: "2026-04-02").isEmpty)
        let found = only(.cerMissing, [followed], asOf: "2026-04-03")
        #expect(found.map(\.severity) == [.critical])
        #expect(found.first?.due == F.day("2026-04-02"))
    }

    @Test("Expired CER: valid through its last day, expired the day after")
    func expired() {
        let followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", cer: ("2026-03-02", "2026-09-01"),
            meetings: ["2026-08-30"])
        #expect(only(.cerExpired, [followed], asOf: "2026-09-01").isEmpty)
        let found = only(.cerExpired, [followed], asOf: "2026-09-02")
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.since == F.day("2026-09-02"))
    }

    @Test("A CER renewed on the last day of the previous one is not expired")
    func renewedOnLastDay() {
        let followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", cer: ("2026-09-01", "2027-02-28"),
            meetings: ["2026-09-01"])
        #expect(only(.cerExpired, [followed], asOf: "2026-09-02").isEmpty)
    }

    @Test("A CER without an end ends after the fiche's CER duration")
    func endFromDuration() {
        var followed = F.followed("C", fiche: .jobCoaching, start: "2026-09-01", meetings: ["2026-09-01"])
        followed.accompaniment.cerEnd = nil
        followed.accompaniment.cerStart = F.day("2026-09-01")
        #expect(only(.cerExpired, [followed], asOf: "2026-11-30").isEmpty)
        #expect(only(.cerExpired, [followed], asOf: "2026-12-01").count == 1)
        // PER gives no CER duration: never expires without an end date.
        var per = F.followed("R", fiche: .parcoursEmploiRenforce, start: "2026-01-05")
        per.accompaniment.cerEnd = nil
        #expect(only(.cerExpired, [per], asOf: "2027-06-01").isEmpty)
    }

    @Test("A 6-month CER on fiche 9 is longer than the fiche's 3 months")
    func longerThanFiche() {
        let long = F.followed("C", fiche: .jobCoaching, start: "2026-09-01", cer: ("2026-09-01", "2027-02-28"))
        #expect(only(.cerLongerThanFiche, [long], asOf: "2026-09-02").map(\.severity) == [.info])
        let exact = F.followed("C", fiche: .jobCoaching, start: "2026-09-01", cer: ("2026-09-01", "2026-11-30"))
        #expect(only(.cerLongerThanFiche, [exact], asOf: "2026-09-02").isEmpty)
    }
}

@Suite("Rule checks: duration and renewals")
struct DurationRuleTests {
    @Test("Fiche 5: 12 months, then two renewals of 6 months, then exceeded")
    func ficheFive() {
        let followed = F.followed("S", fiche: .socioprofessional, start: "2026-01-15")
        let durationRules: Set<FindingRule> = [.renewalLimitReached, .durationExceeded]
        func rules(_ day: String) -> [FindingRule] {
            F.rules([followed], asOf: day).filter(durationRules.contains)
        }
        // Last day of the initial period, and in the first renewal: nothing.
        #expect(rules("2027-01-14").isEmpty)
        #expect(rules("2027-07-14").isEmpty)
        // The last renewal starts 2027-07-15 (18 months).
        #expect(rules("2027-07-15") == [.renewalLimitReached])
        // The last allowed day is 2028-01-14.
        let last = F.findings([followed], asOf: "2028-01-14").filter { $0.rule == .renewalLimitReached }
        #expect(last.first?.due == F.day("2028-01-14"))
        #expect(rules("2028-01-15") == [.durationExceeded])
        #expect(F.findings([followed], asOf: "2028-01-15").first?.severity == .critical)
    }

    @Test("Fiche 9: 3 months, then reorientation")
    func ficheNine() {
        let followed = F.followed("C", fiche: .jobCoaching, start: "2026-07-01")
        #expect(only(.durationExceeded, [followed], asOf: "2026-09-30").isEmpty)
        #expect(only(.renewalLimitReached, [followed], asOf: "2026-09-30").isEmpty)
        let found = only(.durationExceeded, [followed], asOf: "2026-10-01")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("réorientation") == true)
    }

    @Test("Fiche 4: 24 months at most; fiche 1: unlimited")
    func ficheFourAndOne() {
        let passerelle = F.followed("P", fiche: .redynamisation, start: "2024-05-06")
        #expect(only(.durationExceeded, [passerelle], asOf: "2026-05-05").isEmpty)
        #expect(only(.durationExceeded, [passerelle], asOf: "2026-05-06").count == 1)
        let social = F.followed("A", fiche: .socialSupport, start: "2016-01-04")
        #expect(only(.durationExceeded, [social], asOf: "2026-05-06").isEmpty)
    }

    @Test("An ended accompaniment is not checked for duration")
    func ended() {
        let followed = F.followed("C", fiche: .jobCoaching, start: "2026-07-01", end: "2026-09-30")
        #expect(only(.durationExceeded, [followed], asOf: "2026-12-01").isEmpty)
    }
}

@Suite("Rule checks: eligibility")
struct EligibilityRuleTests {
    @Test("No longer soumis à droits et devoirs: warning")
    func notSoumis() {
        let followed = F.followed("A", fiche: .socialSupport, start: "2026-09-01", soumis: false)
        #expect(only(.notSoumisDroitsDevoirs, [followed], asOf: "2026-09-10").map(\.severity) == [.warning])
    }

    @Test("Right closed while accompanied: critical; suspended is not closed")
    func rightClosed() {
        let closed = F.followed("A", fiche: .socialSupport, start: "2026-09-01", right: .closed)
        #expect(only(.rightClosedWhileAccompanied, [closed], asOf: "2026-09-10").map(\.severity) == [.critical])
        let earlier = F.followed("A", fiche: .socialSupport, start: "2026-09-01", right: .closedEarlierMonth)
        #expect(only(.rightClosedWhileAccompanied, [earlier], asOf: "2026-09-10").count == 1)
        let suspended = F.followed("A", fiche: .socialSupport, start: "2026-09-01", right: .openPaymentSuspended)
        #expect(only(.rightClosedWhileAccompanied, [suspended], asOf: "2026-09-10").isEmpty)
    }

    @Test("A person not matched: info only, no eligibility finding")
    func notMatched() {
        let followed = F.followed("A", fiche: .socialSupport, start: "2026-09-01", soumis: nil, right: nil)
        let rules = F.rules([followed], asOf: "2026-09-10")
        #expect(rules == [.personNotMatched])
    }

    @Test("Eligibility is not checked after the accompaniment ended")
    func endedNotChecked() {
        let followed = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", end: "2026-08-31", soumis: false, right: .closed)
        #expect(F.rules([followed], asOf: "2026-09-10").isEmpty)
    }
}

@Suite("Rule checks: capacity")
struct CapacityRuleTests {
    func coaching(_ count: Int, referent: String = "Réf. C11") -> [FollowedCase] {
        (0..<count).map {
            F.followed("C\($0)", fiche: .jobCoaching, start: "2026-09-07", meetings: [], referent: referent)
        }
    }

    @Test("Fiche 9: 40 per ETP; the 41st is over capacity")
    func perETP() {
        #expect(only(.portfolioOverCapacity, coaching(40), asOf: "2026-09-08").isEmpty)
        let found = only(.portfolioOverCapacity, coaching(41), asOf: "2026-09-08")
        #expect(found.count == 1)
        #expect(found.first?.referent == "Réf. C11")
        #expect(found.first?.personKey == nil)
    }

    @Test("A référent at 0.5 ETP in two fiches: loads add up")
    func mixedFiches() {
        // Réf. P09 at 0.5 ETP: 20 in fiche 5 (0.25) + 10 in fiche 9 (0.25) is full, one more is over.
        func cases(_ five: Int, _ nine: Int) -> [FollowedCase] {
            (0..<five).map {
                F.followed("S\($0)", fiche: .socioprofessional, start: "2026-09-07", referent: "Réf. P09")
            }
                + (0..<nine).map {
                    F.followed(
                        "C\($0)", fiche: .jobCoaching, start: "2026-09-07", operatorCode: "OP67-SOCIOPRO",
                        referent: "Réf. P09")
                }
        }
        #expect(only(.portfolioOverCapacity, cases(20, 10), asOf: "2026-09-08").isEmpty)
        #expect(only(.portfolioOverCapacity, cases(20, 11), asOf: "2026-09-08").count == 1)
    }

    @Test("Ended accompaniments leave the file active")
    func endedLeave() {
        var cases = coaching(41)
        cases[0].accompaniment.endDate = F.day("2026-09-07")
        #expect(only(.portfolioOverCapacity, cases, asOf: "2026-09-07").count == 1)
        #expect(only(.portfolioOverCapacity, cases, asOf: "2026-09-08").isEmpty)
    }

    @Test("A référent missing from structures.yaml: info")
    func undeclared() {
        let found = only(.referentNotDeclared, coaching(2, referent: "Réf. C99"), asOf: "2026-09-08")
        #expect(found.map(\.severity) == [.info])
        #expect(found.first?.referent == "Réf. C99")
    }

    @Test("Fiche 4: the file active the operator stated; PER: 70 per structure")
    func perStructure() {
        let passerelle = (0..<4).map { F.followed("P\($0)", fiche: .redynamisation, start: "2026-09-07") }
        #expect(only(.fileActiveOverCapacity, Array(passerelle.prefix(3)), asOf: "2026-09-08").isEmpty)
        #expect(only(.fileActiveOverCapacity, passerelle, asOf: "2026-09-08").count == 1)
        let per = (0..<71).map { F.followed("R\($0)", fiche: .parcoursEmploiRenforce, start: "2026-09-07") }
        #expect(only(.fileActiveOverCapacity, Array(per.prefix(70)), asOf: "2026-09-08").isEmpty)
        #expect(only(.fileActiveOverCapacity, per, asOf: "2026-09-08").first?.fiche == .parcoursEmploiRenforce)
    }
}

@Suite("Rule checks: after the accompaniment")
struct AfterAccompanimentRuleTests {
    @Test("Fiche 9: outcome checkpoints at M+1, M+3, M+6, each reported for a month")
    func checkpoints() {
        let followed = F.followed(
            "C", fiche: .jobCoaching, start: "2026-07-01", end: "2026-09-30", meetings: ["2026-07-01"])
        #expect(only(.outcomeCheckpointDue, [followed], asOf: "2026-10-29").isEmpty)
        let first = only(.outcomeCheckpointDue, [followed], asOf: "2026-10-30")
        #expect(first.first?.due == F.day("2026-10-30"))
        #expect(first.first?.message.contains("M+1") == true)
        #expect(only(.outcomeCheckpointDue, [followed], asOf: "2026-11-30").isEmpty)
        #expect(only(.outcomeCheckpointDue, [followed], asOf: "2026-12-30").first?.message.contains("M+3") == true)
        #expect(only(.outcomeCheckpointDue, [followed], asOf: "2027-03-30").first?.message.contains("M+6") == true)
        #expect(only(.outcomeCheckpointDue, [followed], asOf: "2027-04-30").isEmpty)
    }

    @Test("Fiche 5: job follow-up due for 6 months after the exit until a meeting takes place")
    func jobFollowUp() {
        let followed = F.followed(
            "S", fiche: .socioprofessional, start: "2026-03-16", end: "2026-10-20", meetings: ["2026-10-20"],
            exit: (.cdi, "2026-10-20"))
        let found = only(.jobFollowUpDue, [followed], asOf: "2026-11-02")
        #expect(found.first?.due == F.day("2027-04-19"))
        #expect(found.first?.since == F.day("2026-10-20"))
        #expect(only(.jobFollowUpDue, [followed], asOf: "2027-04-20").isEmpty)
        let met = F.followed(
            "S", fiche: .socioprofessional, start: "2026-03-16", end: "2026-10-20",
            meetings: ["2026-10-20", "2026-10-30"], exit: (.cdi, "2026-10-20"))
        #expect(only(.jobFollowUpDue, [met], asOf: "2026-11-02").isEmpty)
        // Fiche 1 has no job follow-up.
        let social = F.followed(
            "A", fiche: .socialSupport, start: "2026-03-02", end: "2026-10-20", exit: (.cdi, "2026-10-20"))
        #expect(only(.jobFollowUpDue, [social], asOf: "2026-11-02").isEmpty)
    }

    @Test("A person in two programmes in sequence: fiche 9 ended (checkpoint), fiche 5 in progress (open rules)")
    func sequence() {
        let coaching = F.followed(
            "C9-0031", fiche: .jobCoaching, start: "2026-07-01", end: "2026-09-30", meetings: ["2026-07-01"],
            reorientation: ("Fiche 5 - OP67-SOCIOPRO", "2026-10-01"), person: "177*********")
        let sociopro = F.followed(
            "SP-2000", fiche: .socioprofessional, start: "2026-10-01", noCER: true,
            meetings: ["2026-10-01", "2026-10-15"],
            person: "177*********")
        let found = F.findings([coaching, sociopro], asOf: "2026-11-02")
        let byAccompaniment = Dictionary(grouping: found, by: { $0.accompanimentID ?? "" })
        #expect(byAccompaniment["C9-0031"]?.map(\.rule) == [.outcomeCheckpointDue])
        #expect(byAccompaniment["SP-2000"]?.map(\.rule) == [.cerMissing])
        #expect(found.allSatisfy { $0.personKey == "177*********" })
    }
}

@Suite("Rule checks: catalogue and ordering")
struct RuleCatalogueTests {
    @Test("A fiche missing from the catalogue is reported once")
    func unconfigured() {
        let catalogue = ProgrammeCatalogue(programmes: [])
        let cases = [
            F.followed("A", fiche: .socialSupport, start: "2026-09-01"),
            F.followed("B", fiche: .socialSupport, start: "2026-09-01"),
        ]
        let found = RuleChecks.findings(
            cases, programmes: catalogue, structures: F.structures, asOf: F.day("2026-09-10"))
        #expect(found.map(\.rule) == [.programmeNotConfigured])
    }

    @Test("Most severe first; accompaniments not yet started are ignored")
    func ordering() {
        let cases = [
            F.followed("A", fiche: .socialSupport, start: "2026-09-01", soumis: nil, right: nil),
            F.followed("B", fiche: .socialSupport, start: "2026-09-01", right: .closed),
            F.followed("C", fiche: .socialSupport, start: "2026-09-01", soumis: false),
            F.followed("D", fiche: .socialSupport, start: "2026-12-01", right: .closed),
        ]
        let found = F.findings(cases, asOf: "2026-09-10")
        #expect(found.map(\.severity) == [.critical, .warning, .info])
        #expect(found.map(\.accompanimentID) == ["B", "C", "A"])
    }

    @Test("Rule identifiers are stable kebab-case")
    func identifiers() {
        for rule in FindingRule.allCases {
            #expect(rule.rawValue.allSatisfy { $0.isLowercase || $0 == "-" })
        }
        #expect(FindingRule.contactFrequency.rawValue == "contact-frequency")
    }

    @Test("Months: the last day of a shorter month")
    func months() {
        #expect(F.day("2026-01-31").adding(months: 1) == F.day("2026-02-28"))
        #expect(F.day("2026-03-31").adding(months: -1) == F.day("2026-02-28"))
        #expect(F.day("2026-11-15").adding(months: 14) == F.day("2028-01-15"))
        #expect(CalendarSpan(parsing: "6 semaines") == .weeks(6))
        #expect(CalendarSpan(parsing: "six weeks") == nil)
    }
}
