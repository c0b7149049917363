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
        #expect(
            TransferOutcome.allCases.map(\.rawValue) == [
                "applied", "already-received", "rejected", "unreadable", "sent", "already-sent", "already-there",
                "reprocessed", "failed",
            ])
        for outcome in TransferOutcome.allCases { #expect(TransferOutcome(rawValue: outcome.rawValue) == outcome) }
        #expect(TransferOutcome(rawValue: "applied") == .received(.applied))
        #expect(TransferOutcome(rawValue: "replay") == nil)
        #expect(FlowDirection.allCases.map { RunDirection($0) } == [.in, .out])
        #expect(RunDirection.allCases.map(\.rawValue) == ["in", "out", "replay"])
        #expect(Catalogue.direction(ofEntity: "candidate") == .out)
        #expect(Catalogue.direction(ofEntity: "enrolment") == .in)
    }

    @Test("Transfer outcomes and scopes are coded in JSON as the store writes them")
    func coded() throws {
        let outcomes: [TransferOutcome] = [.received(.alreadyReceived), .alreadySent, .failed]
        let scopes: [APIScope] = [.admin, .push(flow: "jobconnexion-cv"), .pull(flow: "de-candidates")]
        let text = String(decoding: try JSONEncoder().encode(outcomes), as: UTF8.self)
        #expect(text == #"["already-received","already-sent","failed"]"#)
        #expect(try JSONDecoder().decode([TransferOutcome].self, from: Data(text.utf8)) == outcomes)
        let scopeText = String(decoding: try JSONEncoder().encode(scopes), as: UTF8.self)
        #expect(scopeText == #"["admin","flow:jobconnexion-cv:in","flow:de-candidates:out"]"#)
        #expect(try JSONDecoder().decode([APIScope].self, from: Data(scopeText.utf8)) == scopes)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([APIScope].self, from: Data(#"["x"]"#.utf8)) }
    }

    @Test("Time stamps agree with Foundation's ISO 8601 formatter, in UTC, in Paris and before 1970")
    func stamps() throws {
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        var seconds: [Int64] = [0, -1, 86_399, -86_400, 1_774_746_000, 1_792_889_999, 4_102_444_799]
        for _ in 0..<2_000 { seconds.append(Int64.random(in: -1_800_000_000...4_000_000_000, using: &generator)) }
        let zones = try ["UTC", "Europe/Paris", "America/New_York"].map { try #require(TimeZone(identifier: $0)) }
        for second in seconds {
            let date = Date(timeIntervalSince1970: Double(second))
            for zone in zones {
                formatter.timeZone = zone
                let offset = zone.secondsFromGMT(for: date)
                #expect(
                    TimeStamp.iso8601(milliseconds: second * 1_000, utcOffset: offset, fraction: false)
                        == formatter.string(from: date), "\(second) \(zone.identifier)")
            }
        }
        #expect(TimeStamp.iso8601(milliseconds: 1_774_746_000_120) == "2026-03-29T01:00:00.120Z")
        #expect(TimeStamp.iso8601(milliseconds: 1_774_746_000_120, utcOffset: 7_200) == "2026-03-29T03:00:00.120+02:00")
        #expect(TimeStamp.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(TimeStamp.iso8601(milliseconds: 0, utcOffset: -18_000) == "1969-12-31T19:00:00.000-05:00")
        #expect(TimeStamp.iso8601(milliseconds: 0, utcOffset: 19_800) == "1970-01-01T05:30:00.000+05:30")
    }

    @Test("A stamp read back gives its instant, whatever its offset or fraction; anything else is refused")
    func stampsReadBack() {
        for second in [0, -1, 86_399, -86_400, 1_774_746_000, 1_792_889_999, 4_102_444_799] {
            for offset in [0, 3_600, 7_200, -18_000, 19_800] {
                for fraction in [false, true] {
                    let text = TimeStamp.iso8601(
                        milliseconds: Int64(second) * 1_000 + 120, utcOffset: offset, fraction: fraction)
                    #expect(TimeStamp.seconds(iso8601: text) == second, "\(text)")
                }
            }
        }
        for text in [
            "", "2026-12-05", "2026-12-05T09:03:04", "2026-12-05T09:03:04+0100", "2026-13-05T09:03:04Z",
            "2026-12-05T9:03:04Z", "2026-12-05T09:03:04ZZ",
        ] {
            #expect(TimeStamp.seconds(iso8601: text) == nil, "\(text)")
        }
    }
}
