/// The civil time of the département: Europe/Paris (UTC+1, UTC+2 from the last Sunday of March to the last Sunday of
/// October, changing at 01:00 UTC, the European Union's rule since 1996). Core reads no clock: callers pass the instant.
public enum ParisTime {
    /// The offset from UTC, in seconds, at `instant` (seconds since 1970-01-01T00:00:00Z).
    public static func utcOffset(at instant: Int) -> Int {
        let day = LocalDate(daysSinceEpoch: floorDivide(instant, 86_400))
        let start = lastSunday(month: 3, year: day.year) * 86_400 + 3_600
        let end = lastSunday(month: 10, year: day.year) * 86_400 + 3_600
        return (start..<end).contains(instant) ? 7_200 : 3_600
    }

    /// The date in Paris at `instant`.
    public static func date(at instant: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: floorDivide(instant + utcOffset(at: instant), 86_400))
    }

    /// The instant (seconds since 1970) of midnight in Paris at the start of `date`. The clocks change at 02:00 or
    /// 03:00 in Paris, so the offset of the evening before holds at midnight.
    public static func startOfDay(_ date: LocalDate) -> Int {
        let utcMidnight = date.daysSinceEpoch * 86_400
        return utcMidnight - utcOffset(at: utcMidnight - 7_200)
    }

    /// Days since 1970-01-01 of the last Sunday of a month.
    private static func lastSunday(month: Int, year: Int) -> Int {
        let last = LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year))!
        let days = last.daysSinceEpoch
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is the weekday, Sunday = 0.
        return days - (((days + 4) % 7) + 7) % 7
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
