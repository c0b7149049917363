import Foundation

/// The page's four charts, as inline SVG drawn here (no script, no external resource). Every chart carries a
/// `<title>` and a `<desc>` that `aria-labelledby` points to; its figures are also printed on it (values next to
/// the bars), so that colour is never the only way to read it.
enum SVGCharts {
    /// Every chart's coordinate width; the page scales it to the column's width.
    static let width = 800.0

    // Colours: each has a contrast of at least 4.5:1 against white (bars and text alike).
    static let ink = "#1a1a1a"
    static let muted = "#4a5560"
    static let grid = "#c9d3de"
    static let track = "#eef2f6"
    static let blue = "#1f5f99"
    static let brown = "#a34700"
    static let hatchBackground = "#f6dcc8"

    // MARK: - (a) Programmes against their targets

    static func programmes(_ rows: [ProgrammeRow], id: String) -> String {
        let labelX = 12.0
        let barX = 170.0
        let barEnd = 540.0
        let valueX = barEnd + 12
        let top = 34.0
        let block = 76.0
        let barHeight = 16.0
        let values = rows.flatMap { [$0.repriseRate, $0.repriseTarget, $0.sortieEmploiRate, $0.sortieEmploiTarget] }
        let scaleMax = percentScaleMax(values.compactMap { $0 })
        let x = { (rate: Double) in barX + (barEnd - barX) * min(max(rate, 0), scaleMax) / scaleMax }
        let height = top + block * Double(rows.count) + 4

        var body = percentAxis(ticksUpTo: scaleMax, x: x, labelY: 14, from: 22, to: height - 4)
        // The target marker's key, top right.
        body += line(width - 150, 4, width - 150, 20, stroke: ink, width: 3)
        body += text(width - 142, 16, "trait noir : cible", size: 12, fill: muted)

        for (index, row) in rows.enumerated() {
            let y = top + block * Double(index)
            var heading = "\(row.ficheCode) · \(row.label)"
            if !row.structure.isEmpty { heading += " — \(row.structure)" }
            body += text(labelX - 8, y + 14, FrenchText.truncated(heading, to: 96), size: 14, weight: "600")
            let bars: [(String, Double?, Double?, String)] = [
                ("Reprise d’activité", row.repriseRate, row.repriseTarget, blue),
                ("Sortie emploi", row.sortieEmploiRate, row.sortieEmploiTarget, brown),
            ]
            for (lane, bar) in bars.enumerated() {
                let (label, rate, target, colour) = bar
                let barY = y + 24 + Double(lane) * (barHeight + 8)
                body += text(labelX, barY + 12.5, label, size: 12.5)
                body += rect(barX, barY, barEnd - barX, barHeight, fill: track)
                if let rate, rate.isFinite, rate > 0 {
                    body += rect(barX, barY, x(rate) - barX, barHeight, fill: colour)
                }
                if let target, target.isFinite {
                    body += line(x(target), barY - 4, x(target), barY + barHeight + 4, stroke: ink, width: 3)
                }
                body += text(valueX, barY + 12.5, rateSummary(rate, target: target), size: 12.5)
            }
        }
        let description =
            "Taux de reprise d’activité et de sortie emploi de \(count(rows.count, "programme", "programmes")), "
            + "chaque barre marquée par sa cible ; les valeurs figurent aussi dans le tableau qui suit."
        return svg(id: id, height: height, title: "Programmes : taux obtenus et cibles", description: description, body)
    }

    /// `72,5 % · cible 60 % : atteinte`, `— · cible 60 %`, `72,5 %`.
    static func rateSummary(_ rate: Double?, target: Double?) -> String {
        guard let target, target.isFinite else { return FrenchText.percent(rate) }
        var summary = "\(FrenchText.percent(rate)) · cible \(FrenchText.percent(target))"
        if let rate, rate.isFinite { summary += rate >= target ? " : atteinte" : " : non atteinte" }
        return summary
    }

    // MARK: - (b) CV deposit rate per structure

    static func cvDeposit(_ rows: [CVDepositRow], id: String) -> String {
        let barX = 12.0
        let barEnd = 600.0
        let valueX = barEnd + 14
        let top = 34.0
        let block = 50.0
        let barHeight = 18.0
        let scaleMax = percentScaleMax(rows.compactMap(\.rate))
        let x = { (rate: Double) in barX + (barEnd - barX) * min(max(rate, 0), scaleMax) / scaleMax }
        let height = top + block * Double(rows.count) + 4

        var body = percentAxis(ticksUpTo: scaleMax, x: x, labelY: 14, from: 22, to: height - 4, skipFull: true)
        for (index, row) in rows.enumerated() {
            let y = top + block * Double(index)
            let label = row.programme.isEmpty ? row.structure : "\(row.structure) — \(row.programme)"
            body += text(barX, y + 13, FrenchText.truncated(label, to: 84), size: 13.5, weight: "600")
            body += rect(barX, y + 20, barEnd - barX, barHeight, fill: track)
            if let rate = row.rate, rate.isFinite, rate > 0 {
                body += rect(barX, y + 20, x(rate) - barX, barHeight, fill: blue)
            }
            let counts = "(\(FrenchText.integer(row.deposited)) / \(FrenchText.integer(row.jobReady)))"
            body += text(valueX, y + 34, "\(FrenchText.percent(row.rate)) \(counts)", size: 13)
        }
        // The 100 % line, over the bars.
        body += line(x(1), 20, x(1), height - 4, stroke: ink, width: 2, dash: "6 4")
        body += text(x(1), 14, "100\(FrenchText.noBreakSpace)%", size: 12, anchor: "middle", weight: "600")
        let description =
            "Part des personnes prêtes à l’emploi dont le CV est déposé, pour "
            + "\(count(rows.count, "structure", "structures")) ; la ligne pointillée marque 100 %. "
            + "Les valeurs figurent aussi dans le tableau qui suit."
        return svg(id: id, height: height, title: "Dépôt des CV par structure", description: description, body)
    }

    // MARK: - (c) Monthly entries and exits

    static func monthly(_ rows: [MonthRow], id: String) -> String {
        let height = 320.0
        let left = 64.0
        let right = width - 16
        let top = 48.0
        let bottom = height - 50
        let scale = niceScale(rows.map { max($0.entries, $0.exits) }.max() ?? 0)
        let y = { (value: Int) in bottom - (bottom - top) * Double(max(value, 0)) / Double(scale.top) }
        let hatch = "\(id)-hatch"

        var body = "<defs><pattern id=\"\(hatch)\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\""
        body += " patternTransform=\"rotate(45)\">"
        body += rect(0, 0, 6, 6, fill: hatchBackground)
        body += line(1.5, 0, 1.5, 6, stroke: brown, width: 3)
        body += "</pattern></defs>"
        // Key.
        body += rect(left, 8, 16, 16, fill: blue)
        body += text(left + 22, 21, "Entrées", size: 13)
        body += rect(left + 110, 8, 16, 16, fill: "url(#\(hatch))", stroke: brown)
        body += text(left + 132, 21, "Sorties", size: 13)
        body += text(right, 21, "nombre de personnes", size: 12, fill: muted, anchor: "end")
        // Horizontal grid and the vertical axis' labels.
        for tick in stride(from: 0, through: scale.top, by: scale.step) {
            body += line(left, y(tick), right, y(tick), stroke: tick == 0 ? ink : grid, width: tick == 0 ? 1.5 : 1)
            body += text(left - 8, y(tick) + 4, FrenchText.integer(tick), size: 12, fill: muted, anchor: "end")
        }
        let slot = (right - left) / Double(max(rows.count, 1))
        let barWidth = min(30, slot * 0.38)
        let showValues = slot >= 44
        var previousYear = ""
        for (index, row) in rows.enumerated() {
            let centre = left + slot * (Double(index) + 0.5)
            let entriesX = centre - 2 - barWidth
            let exitsX = centre + 2
            body += rect(entriesX, y(row.entries), barWidth, bottom - y(row.entries), fill: blue)
            body += rect(exitsX, y(row.exits), barWidth, bottom - y(row.exits), fill: "url(#\(hatch))", stroke: brown)
            if showValues {
                let size = slot >= 60 ? 11.5 : 10
                body += text(
                    entriesX + barWidth / 2, y(row.entries) - 5, FrenchText.integer(row.entries), size: size,
                    anchor: "middle")
                body += text(
                    exitsX + barWidth / 2, y(row.exits) - 5, FrenchText.integer(row.exits), size: size,
                    anchor: "middle")
            }
            let (month, year) = FrenchText.shortMonth(row.month)
            body += text(centre, bottom + 18, month, size: 12, anchor: "middle")
            if year != previousYear {
                body += text(centre, bottom + 34, year, size: 12, fill: muted, anchor: "middle")
                previousYear = year
            }
        }
        let description =
            "Entrées et sorties du dispositif sur \(count(rows.count, "mois", "mois")), une paire de barres par mois "
            + "(entrées pleines, sorties hachurées) ; les valeurs figurent aussi dans le tableau qui suit."
        return svg(id: id, height: height, title: "Entrées et sorties par mois", description: description, body)
    }

    // MARK: - (d) Rule findings by severity

    static func findings(_ rows: [SeverityCount], id: String) -> String {
        let labelEnd = 190.0
        let barX = 200.0
        let barEnd = 680.0
        let block = 34.0
        let barHeight = 20.0
        let scale = niceScale(rows.map(\.count).max() ?? 0)
        let height = block * Double(rows.count) + 8
        var body = ""
        for (index, row) in rows.enumerated() {
            let y = 6 + block * Double(index)
            body += text(labelEnd, y + 15, FrenchText.truncated(row.severity, to: 26), size: 13.5, anchor: "end")
            let length = (barEnd - barX) * Double(max(row.count, 0)) / Double(scale.top)
            if length > 0 { body += rect(barX, y, length, barHeight, fill: severityColour(row.severity, index)) }
            body += text(barX + length + 8, y + 15, FrenchText.integer(row.count), size: 13.5, weight: "600")
        }
        body += line(barX, 2, barX, height - 2, stroke: ink, width: 1.5)
        let description =
            "Nombre de constats des règles pour \(count(rows.count, "niveau de gravité", "niveaux de gravité")) ; "
            + "les valeurs figurent aussi dans le tableau qui suit."
        return svg(id: id, height: height, title: "Constats des règles par gravité", description: description, body)
    }

    /// Red for errors, amber for warnings, blue for information, else one of the palette's colours.
    static func severityColour(_ severity: String, _ index: Int) -> String {
        let key = severity.lowercased()
        if key.contains("err") || key.contains("bloqu") || key.contains("critique") { return "#b3261e" }
        if key.contains("avert") || key.contains("alerte") { return "#8a5300" }
        if key.contains("info") { return blue }
        let palette = [blue, "#6b3fa0", "#2e6b30", brown, "#5a5a5a"]
        return palette[index % palette.count]
    }

    // MARK: - Building blocks

    /// The top of a percentage scale: 100 %, or above when a value is over it (to the next 25 %).
    static func percentScaleMax(_ values: [Double]) -> Double {
        let highest = values.filter(\.isFinite).max() ?? 0
        return highest <= 1 ? 1 : (highest * 4).rounded(.up) / 4
    }

    /// Vertical grid lines every 25 %, their labels at `labelY`.
    static func percentAxis(
        ticksUpTo scaleMax: Double, x: (Double) -> Double, labelY: Double, from: Double, to: Double,
        skipFull: Bool = false
    ) -> String {
        var axis = ""
        for quarter in 0...Int((scaleMax * 4).rounded()) {
            let rate = Double(quarter) / 4
            axis += line(x(rate), from, x(rate), to, stroke: grid, width: 1)
            if skipFull && quarter == 4 { continue }
            axis += text(
                x(rate), labelY, FrenchText.percent(rate), size: 11.5, fill: muted,
                anchor: quarter == 0 ? "start" : "middle")
        }
        return axis
    }

    /// A count's axis: its top (a round number at or above `highest`) and the step between ticks (about 5 ticks).
    static func niceScale(_ highest: Int) -> (top: Int, step: Int) {
        guard highest > 4 else { return (4, 1) }
        let rough = Double(highest) / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        let step = max(Int((nice * magnitude).rounded()), 1)
        return ((highest + step - 1) / step * step, step)
    }

    static func svg(id: String, height: Double, title: String, description: String, _ body: String) -> String {
        let w = number(width)
        let h = number(height)
        return "<svg class=\"chart\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\" viewBox=\"0 0 \(w) \(h)\" "
            + "width=\"\(w)\" height=\"\(h)\" preserveAspectRatio=\"xMinYMin meet\">"
            + "<title id=\"\(id)-title\">\(FrenchText.escape(title))</title>"
            + "<desc id=\"\(id)-desc\">\(FrenchText.escape(description))</desc>\n\(body)</svg>"
    }

    static func rect(
        _ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String, stroke: String? = nil
    ) -> String {
        var element = "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(max(width, 0)))\""
        element += " height=\"\(number(max(height, 0)))\" fill=\"\(fill)\""
        if let stroke { element += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        return element + "/>"
    }

    static func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double, dash: String? = nil
    ) -> String {
        var element = "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\""
        element += " stroke=\"\(stroke)\" stroke-width=\"\(number(width))\""
        if let dash { element += " stroke-dasharray=\"\(dash)\"" }
        return element + "/>"
    }

    /// A text, escaped; `anchor` is start, middle or end.
    static func text(
        _ x: Double, _ y: Double, _ content: String, size: Double, fill: String = ink, anchor: String = "start",
        weight: String? = nil
    ) -> String {
        var element = "<text x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"\(number(size))\" fill=\"\(fill)\""
        if anchor != "start" { element += " text-anchor=\"\(anchor)\"" }
        if let weight { element += " font-weight=\"\(weight)\"" }
        return element + ">\(FrenchText.escape(content))</text>\n"
    }

    /// A coordinate with at most one decimal, a dot as separator (SVG syntax, whatever the locale).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let decimal = tenths.magnitude % 10
        return sign + String(tenths.magnitude / 10) + (decimal == 0 ? "" : ".\(decimal)")
    }

    /// `1 programme`, `3 programmes`.
    static func count(_ value: Int, _ singular: String, _ plural: String) -> String {
        "\(FrenchText.integer(value)) \(value > 1 ? plural : singular)"
    }
}
