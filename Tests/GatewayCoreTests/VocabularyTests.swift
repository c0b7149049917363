import Foundation
import GatewayCore
import Testing

@Suite("One vocabulary")
struct VocabularyTests {
    @Test("The date in Paris agrees with the system's time zone data at every half hour from 2019 to 2031")
    func parisDate() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "Europe/Paris"))
        let first = Int(try #require(ISO8601DateFormatter().date(from: "2019-01-01T00:00:00Z")).timeIntervalSince1970)
        let last = Int(try #require(ISO8601DateFormatter().date(from: "2031-12-31T23:30:00Z")).timeIntervalSince1970)
        var disagreements: [Int] = []
        for instant in stride(from: first, through: last, by: 1_800) {
            let date = Date(timeIntervalSince1970: TimeInterval(instant))
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)
            let offset = calendar.timeZone.secondsFromGMT(for: date)
            if ParisTime.date(at: instant) != expected || ParisTime.utcOffset(at: instant) != offset {
                disagreements.append(instant)
            }
        }
        #expect(disagreements.isEmpty)
    }

    @Test("Midnight in Paris, in winter, in summer and on the days the clocks change")
    func startOfDay() throws {
        for (day, utc) in [
            ("2026-01-15", "2026-01-14T23:00:00Z"), ("2026-07-15", "2026-07-14T22:00:00Z"),
            ("2026-03-29", "2026-03-28T23:00:00Z"), ("2026-03-30", "2026-03-29T22:00:00Z"),
            ("2026-10-25", "2026-10-24T22:00:00Z"), ("2026-10-26", "2026-10-25T23:00:00Z"),
        ] {
            let expected = try #require(ISO8601DateFormatter().date(from: utc)).timeIntervalSince1970
            #expect(ParisTime.startOfDay(try #require(LocalDate(iso: day))) == Int(expected), "\(day)")
        }
    }

    @Test(
        "Scopes read as keys store them, and nothing else",
        arguments: [
            ("admin", APIScope.admin), ("flow:jobconnexion-cv:in", .push(flow: "jobconnexion-cv")),
            ("flow:de-candidates:out", .pull(flow: "de-candidates")),
        ])
    func scope(text: String, scope: APIScope) {
        #expect(APIScope(text) == scope)
        #expect(scope.description == text)
    }

    @Test("Malformed scopes are refused", arguments: ["", "Admin", "flow::in", "flow:x:both", "flow:x", "x:y:in"])
    func malformedScope(text: String) {
        #expect(APIScope(text) == nil)
    }

    @Test("Outcomes keep the words the store, the journal and the API have always written")
    func words() {
        #expect(FileOutcome.allCases.map(\.rawValue) == ["applied", "already-received", "rejected", "unreadable"])
        #expect("\(FileOutcome.alreadyReceived)" == "already-received")
        #expect(
            RunOutcome.allCases.map(\.rawValue) == [
                "running", "succeeded", "partial", "failed", "interrupted", "skipped",
            ])
        #expect(TransferOutcome(.alreadyReceived) == .alreadyReceived)
        #expect(RunDirection.allCases.map(\.rawValue) == ["in", "out", "replay"])
        #expect(Catalogue.direction(ofEntity: "candidate") == .out)
        #expect(Catalogue.direction(ofEntity: "enrolment") == .in)
    }
}
