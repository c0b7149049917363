import GatewayCore

/// Numbers, dates and escaping in French forms: the dashboard's, and the CLI's progress line.
public enum FrenchText {
    /// No-break space, before "%" (`72,5 %`).
    static let noBreakSpace = "\u{00A0}"
    /// Narrow no-break space, between groups of thousands (`12 345`).
    static let thousandsSeparator = "\u{202F}"
    /// Shown for a rate whose denominator is 0.
    static let missing = "—"

    /// `12 345`, `−7` (a minus sign, not a hyphen).
    public static func integer(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += thousandsSeparator }
            grouped.append(digit)
        }
        return value < 0 ? "\u{2212}" + grouped : grouped
    }

    /// `41,7` (one decimal, a decimal comma).
    public static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return missing }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "\u{2212}" : ""
        return sign + integer(Int(tenths.magnitude / 10)) + "," + String(tenths.magnitude % 10)
    }

    /// A fraction as a percentage with at most one decimal: `72,5 %`, `40 %`, "—" for nil (or not a number).
    static func percent(_ rate: Double?) -> String {
        guard let rate, rate.isFinite else { return missing }
        let tenths = Int((rate * 1000).rounded())
        let whole = integer(Int(tenths.magnitude / 10))
        let decimal = tenths.magnitude % 10
        let sign = tenths < 0 ? "\u{2212}" : ""
        return sign + whole + (decimal == 0 ? "" : ",\(decimal)") + noBreakSpace + "%"
    }

    private static let monthNames = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
        "décembre",
    ]
    private static let shortMonthNames = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
    ]

    /// `2 novembre 2026` for `2026-11-02`; the text itself when it is not an ISO date.
    static func longDate(_ iso: String) -> String {
        guard let date = LocalDate(iso: iso) else { return iso }
        return "\(date.day == 1 ? "1er" : String(date.day)) \(monthNames[date.month - 1]) \(date.year)"
    }

    /// (`sept.`, `2026`) for `2026-09`; (the text, "") when it is not a `YYYY-MM` month.
    static func shortMonth(_ month: String) -> (month: String, year: String) {
        guard let (year, number) = parseMonth(month) else { return (month, "") }
        return (shortMonthNames[number - 1], String(year))
    }

    /// `septembre 2026` for `2026-09`; the text itself when it is not a `YYYY-MM` month.
    static func longMonth(_ month: String) -> String {
        guard let (year, number) = parseMonth(month) else { return month }
        return "\(monthNames[number - 1]) \(year)"
    }

    private static func parseMonth(_ text: String) -> (year: Int, month: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]), (1...12).contains(month)
        else { return nil }
        return (year, month)
    }

    /// The text escaped for HTML and SVG text and attribute values (&, <, >, ", '); characters XML does not
    /// allow (controls other than tab and line breaks) become U+FFFD.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            case _
            where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0xFFFE
                || scalar.value == 0xFFFF:
                escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// The text cut to `limit` characters, an ellipsis ending it when it was longer.
    static func truncated(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(limit - 1, 0))) + "…"
    }
}
