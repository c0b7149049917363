import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week) read in a time zone
/// (Europe/Paris by default). Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists; days of
/// the week run 0–7 (0 and 7 are Sunday). As in Vixie cron, when both day fields are restricted a day matching
/// either one fires. `@hourly`, `@daily`, `@weekly`, `@monthly` are accepted.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    public let timeZone: TimeZone
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let anyDayOfMonth: Bool
    let anyDayOfWeek: Bool

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!) throws {
        self.expression = expression
        self.timeZone = timeZone
        let aliases = [
            "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *",
        ]
        let text = aliases[expression.trimmingCharacters(in: .whitespaces)] ?? expression
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                description: "« \(expression) » : cinq champs attendus (minute heure jour mois jour-semaine)")
        }
        minutes = try Self.field(fields[0], 0...59, "minute")
        hours = try Self.field(fields[1], 0...23, "heure")
        daysOfMonth = try Self.field(fields[2], 1...31, "jour du mois")
        months = try Self.field(fields[3], 1...12, "mois")
        daysOfWeek = Set(try Self.field(fields[4], 0...7, "jour de la semaine").map { $0 % 7 })
        anyDayOfMonth = fields[2] == "*" || fields[2] == "?"
        anyDayOfWeek = fields[4] == "*" || fields[4] == "?"
    }

    public var description: String { expression }

    static func field(_ text: String, _ range: ClosedRange<Int>, _ name: String) throws -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else {
                throw ParseError(description: "\(name) « \(text) » illisible")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw ParseError(description: "\(name) « \(text) » : pas invalide")
                }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" || pieces[0] == "?" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]),
                    low <= high
                else { throw ParseError(description: "\(name) « \(text) » : intervalle invalide") }
                bounds = low...high
            } else {
                guard let value = Int(pieces[0]) else { throw ParseError(description: "\(name) « \(text) » illisible") }
                bounds = value...(pieces.count == 2 ? range.upperBound : value)
            }
            guard range.contains(bounds.lowerBound), range.contains(bounds.upperBound) else {
                throw ParseError(
                    description: "\(name) « \(text) » hors de \(range.lowerBound)–\(range.upperBound)")
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    func dayMatches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let byMonth = daysOfMonth.contains(day)
        let byWeek = daysOfWeek.contains(weekday)
        if anyDayOfMonth && anyDayOfWeek { return true }
        if anyDayOfMonth { return byWeek }
        if anyDayOfWeek { return byMonth }
        return byMonth || byWeek
    }

    /// The first time strictly after `date` the schedule fires (nil if none within five years).
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var day = calendar.startOfDay(for: date)
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let d = parts.day, let m = parts.month, let w = parts.weekday,
                dayMatches(day: d, month: m, weekday: w - 1)
            {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        var wanted = DateComponents()
                        (wanted.year, wanted.month, wanted.day, wanted.hour, wanted.minute) =
                            (parts.year, m, d, hour, minute)
                        // A time skipped by the spring change comes out an hour later, as cron runs it.
                        guard let candidate = calendar.date(from: wanted) else { continue }
                        if candidate > date { return candidate }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}
