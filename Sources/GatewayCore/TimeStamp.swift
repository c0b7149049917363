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

    /// The instant a stamp of `iso8601(…)`'s form names, in whole seconds since 1970-01-01T00:00:00Z:
    /// `2026-12-05T09:03:04Z`, with or without a fraction, `Z` or an offset (`+01:00`). Nil for any other text.
    /// Read by arithmetic, as it is written.
    public static func seconds(iso8601 text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"), let day = LocalDate(iso: String(decoding: bytes[0..<10], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else {
            return nil
        }
        var index = 19
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 { index += 1 }
        }
        var offset = 0
        if index == bytes.count - 1 && bytes[index] == UInt8(ascii: "Z") {
            offset = 0
        } else if index == bytes.count - 6, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
            bytes[index + 3] == UInt8(ascii: ":"), let hours = number(index + 1..<index + 3),
            let minutes = number(index + 4..<index + 6)
        {
            offset = (hours * 3_600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        return day.daysSinceEpoch * 86_400 + hour * 3_600 + minute * 60 + second - offset
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
