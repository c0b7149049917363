/// A calendar date with no time zone, as partners' files carry them.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Year, month and day in one word (`year << 9 | month << 5 | day`), in date order: records that hold many
    /// dates stay small, and dates compare as numbers.
    let packed: UInt32

    public var year: Int { Int(packed >> 9) }
    public var month: Int { Int(packed >> 5 & 0xF) }
    public var day: Int { Int(packed & 0x1F) }

    /// A date already checked (a year out of 0…9999, only reachable by date arithmetic, is held at those bounds).
    private init(checkedYear year: Int, month: Int, day: Int) {
        packed = UInt32(min(max(year, 0), 9999)) << 9 | UInt32(month) << 5 | UInt32(day)
    }

    /// Creates a date, or nil when the day does not exist in the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= LocalDate.daysIn(month: month, year: year)
        else { return nil }
        self.init(checkedYear: year, month: month, day: day)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// ISO 8601 form, `YYYY-MM-DD`.
    public var iso: String { isoCharacters.string }

    /// French form, `JJ/MM/AAAA`, for messages.
    public var french: String {
        let iso = self.iso
        return "\(iso.suffix(2))/\(iso.dropFirst(5).prefix(2))/\(iso.prefix(4))"
    }

    /// The ten characters of `iso`, held inline (every date has a year of 0…9999, a month and a day below 100).
    var isoCharacters: InlineASCII {
        func digit(_ value: Int, at index: Int) -> UInt64 { UInt64(truncatingIfNeeded: 0x30 + value) << (index << 3) }
        let low =
            digit(year / 1000, at: 0) | digit(year / 100 % 10, at: 1) | digit(year / 10 % 10, at: 2)
            | digit(year % 10, at: 3) | 0x2D << 32 | digit(month / 10, at: 5) | digit(month % 10, at: 6) | 0x2D << 56
        return InlineASCII(low: low, high: digit(day / 10, at: 0) | digit(day % 10, at: 1), count: 10)
    }

    public var description: String { iso }

    /// Parses `YYYY-MM-DD` strictly.
    public init?(iso text: some StringProtocol) {
        guard let date = LocalDate.parse(text, pattern: .iso) else { return nil }
        self = date
    }

    /// The date formats partners use, named by their pattern.
    public enum Pattern: String, Sendable, CaseIterable, Codable {
        case iso = "yyyy-MM-dd"
        case french = "dd/MM/yyyy"
        case compact = "yyyyMMdd"
        case frenchDashes = "dd-MM-yyyy"
    }

    /// Parses `text` in `pattern`, without Foundation: this runs once per date field of every record.
    /// A trailing time or time zone after an ISO date (`2024-01-31T00:00:00+01:00`) is tolerated.
    public static func parse(_ text: some StringProtocol, pattern: Pattern) -> LocalDate? {
        // Native strings are contiguous UTF-8: read them in place rather than copying into an array.
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0, pattern: pattern) }) {
            return parsed
        }
        return Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0, pattern: pattern) }
    }

    /// A date in `pattern` from UTF-8 bytes. Its eight digits are gathered into one word, checked and read at once
    /// (`RawText.areDigits`, `digitsValue`).
    public static func parse(bytes: UnsafeBufferPointer<UInt8>, pattern: Pattern) -> LocalDate? {
        let digits: UInt64
        let value: UInt64
        switch pattern {
        case .iso:
            // yyyy-MM-dd, perhaps followed by a time.
            guard bytes.count == 10 || (bytes.count > 10 && (bytes[10] == 84 || bytes[10] == 32)) else { return nil }
            let low = RawText.word(bytes, at: 0)  // yyyy-MM-
            let high = RawText.word(bytes, at: 2)  // yy-MM-dd
            guard low >> 32 & 0xFF == 45, low >> 56 == 45 else { return nil }
            digits = low & 0xFFFF_FFFF | (low >> 40 & 0xFFFF) << 32 | (high >> 48) << 48
            guard RawText.areDigits(digits) else { return nil }
            value = RawText.digitsValue(digits)
            return LocalDate(year: Int(value / 10_000), month: Int(value / 100 % 100), day: Int(value % 100))
        case .french, .frenchDashes:
            // dd/MM/yyyy or dd-MM-yyyy.
            guard bytes.count == 10 else { return nil }
            let separator: UInt64 = pattern == .french ? 47 : 45
            let low = RawText.word(bytes, at: 0)  // dd/MM/yy
            let high = RawText.word(bytes, at: 2)  // /MM/yyyy
            guard low >> 16 & 0xFF == separator, low >> 40 & 0xFF == separator else { return nil }
            digits = low & 0xFFFF | (low >> 24 & 0xFFFF) << 16 | (high >> 32) << 32
            guard RawText.areDigits(digits) else { return nil }
            value = RawText.digitsValue(digits)
            return LocalDate(year: Int(value % 10_000), month: Int(value / 10_000 % 100), day: Int(value / 1_000_000))
        case .compact:
            // yyyyMMdd.
            guard bytes.count == 8 else { return nil }
            digits = RawText.word(bytes, at: 0)
            guard RawText.areDigits(digits) else { return nil }
            value = RawText.digitsValue(digits)
            return LocalDate(year: Int(value / 10_000), month: Int(value / 100 % 100), day: Int(value % 100))
        }
    }

    /// Days since 1970-01-01 (negative before), for durations and comparisons across months.
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(checkedYear: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        lhs.packed < rhs.packed
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}
