/// Time stamps as the journal, the ledger and the logs write them: ISO 8601, `2026-12-05T09:03:04.120+01:00`, or
/// `Z` for UTC. Written from the instant by arithmetic, so a log line or a journal row formats no date object.
public enum TimeStamp {
    /// `milliseconds` since 1970-01-01T00:00:00Z, shown at `utcOffset` seconds from UTC; `fraction` adds the
    /// milliseconds.
    public static func iso8601(milliseconds: Int64, utcOffset: Int = 0, fraction: Bool = true) -> String {
        let local = milliseconds + Int64(utcOffset) * 1_000
        let seconds = Int(local >= 0 ? local / 1_000 : -((-local + 999) / 1_000))
        let millis = Int(local - Int64(seconds) * 1_000)
        let day = LocalDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400))
        let second = seconds - day.daysSinceEpoch * 86_400
        var text = day.iso + "T" + two(second / 3_600) + ":" + two(second / 60 % 60) + ":" + two(second % 60)
        if fraction { text += "." + String(millis + 1_000).dropFirst() }
        if utcOffset == 0 { return text + "Z" }
        let minutes = abs(utcOffset) / 60
        return text + (utcOffset < 0 ? "-" : "+") + two(minutes / 60) + ":" + two(minutes % 60)
    }

    /// `seconds` since 1970-01-01T00:00:00Z (a `Date`'s `timeIntervalSince1970`), to the millisecond below.
    public static func iso8601(seconds: Double, utcOffset: Int = 0, fraction: Bool = true) -> String {
        iso8601(milliseconds: Int64((seconds * 1_000).rounded(.down)), utcOffset: utcOffset, fraction: fraction)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
