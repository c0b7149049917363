import Foundation
import Testing

@testable import GatewayCore

@Suite("LocalDate")
struct LocalDateTests {
    @Test(arguments: [
        ("2024-02-29", LocalDate.Pattern.iso), ("29/02/2024", .french), ("20240229", .compact),
        ("29-02-2024", .frenchDashes), ("2024-02-29T00:00:00+01:00", .iso), ("2024-02-29 12:30", .iso),
    ])
    func parsesEveryPattern(text: String, pattern: LocalDate.Pattern) throws {
        let date = try #require(LocalDate.parse(text, pattern: pattern))
        #expect(date == LocalDate(year: 2024, month: 2, day: 29))
        #expect(date.iso == "2024-02-29")
    }

    @Test(arguments: [
        ("2023-02-29", LocalDate.Pattern.iso), ("1900-02-29", .iso), ("2024-1-31", .iso),
        ("2024/01/31", .iso),
        ("", .iso), ("2024-01-31X", .iso), ("31/04/2024", .french), ("31-12-2024", .french),
        ("1/1/2024", .french),
        ("2024013", .compact), ("20241301", .compact), ("2024-01-31", .compact),
        ("00/01/2024", .french),
        ("31/12/2024", .frenchDashes), ("0000-01-01", .iso), ("2024-0a-01", .iso),
    ])
    func refusesInvalidText(text: String, pattern: LocalDate.Pattern) {
        #expect(LocalDate.parse(text, pattern: pattern) == nil)
    }

    @Test func leapDays() {
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(LocalDate.isLeap(2000) && LocalDate.isLeap(2024))
        #expect(!LocalDate.isLeap(1900) && !LocalDate.isLeap(2023))
        #expect(LocalDate.daysIn(month: 2, year: 2024) == 29)
        #expect(LocalDate.daysIn(month: 4, year: 2024) == 30)
        #expect(LocalDate.parse("29/02/2000", pattern: .french) != nil)
    }

    @Test(arguments: [
        (1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 3, 1, 11017), (2024, 2, 29, 19782),
        (1900, 3, 1, -25508),
        (1, 1, 1, -719162), (9999, 12, 31, 2_932_896),
    ])
    func daysSinceEpoch(year: Int, month: Int, day: Int, days: Int) throws {
        let date = try #require(LocalDate(year: year, month: month, day: day))
        #expect(date.daysSinceEpoch == days)
        #expect(LocalDate(daysSinceEpoch: days) == date)
    }

    @Test func epochRoundTripAndContinuity() throws {
        for days in stride(from: -719_162, through: 2_932_896, by: 997) {
            #expect(LocalDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        var date = try #require(LocalDate(year: 1999, month: 12, day: 1))
        for _ in 0..<800 {
            let next = date.adding(days: 1)
            #expect(next > date)
            #expect(next.daysSinceEpoch == date.daysSinceEpoch + 1)
            let expected =
                LocalDate(year: date.year, month: date.month, day: date.day + 1)
                ?? LocalDate(year: date.year, month: date.month + 1, day: 1)
                ?? LocalDate(year: date.year + 1, month: 1, day: 1)
            #expect(next == expected)
            date = next
        }
        #expect(date == LocalDate(year: 2002, month: 2, day: 8))
    }

    @Test func orderingDescriptionAndCodable() throws {
        let early = try #require(LocalDate(year: 999, month: 1, day: 5))
        let late = try #require(LocalDate(year: 2024, month: 1, day: 31))
        #expect(early < late)
        #expect("\(early)" == "0999-01-05")
        let data = try JSONEncoder().encode([late])
        #expect(String(decoding: data, as: UTF8.self) == #"["2024-01-31"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [late])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data(#"["31/01/2024"]"#.utf8))
        }
    }
}
