import Foundation
import Testing

@testable import GatewayReports

/// How many times `needle` occurs in `text`.
private func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

@Suite("Dashboard page")
struct DashboardRendererTests {
    let page = DashboardRenderer.render(DashboardSamples.full)

    @Test func isOneFrenchHTML5Page() {
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"fr\">"))
        #expect(page.contains("<meta charset=\"utf-8\"/>"))
        #expect(page.contains("<title>Tableau de bord de l’insertion RSA — septembre et octobre 2026</title>"))
        #expect(page.contains("<h1>Tableau de bord de l’insertion RSA — septembre et octobre 2026</h1>"))
        #expect(page.contains("<time datetime=\"2026-05-01\">1er mai 2026</time>"))
        #expect(page.contains("<time datetime=\"2026-10-31\">31 octobre 2026</time>"))
        #expect(page.contains("Édité le <time datetime=\"2026-11-02\">2 novembre 2026</time>"))
        #expect(page.hasSuffix("</html>\n"))
    }

    @Test func hasEverySection() {
        for (id, heading) in [
            ("programmes", "Programmes et objectifs"), ("depot-cv", "Dépôt des CV"),
            ("mouvements", "Entrées et sorties par mois"), ("constats", "Constats des règles"), ("notes", "Notes"),
        ] {
            #expect(page.contains("<section id=\"\(id)\" aria-labelledby=\"\(id)-heading\">"))
            #expect(page.contains("<h2 id=\"\(id)-heading\">\(heading)</h2>"))
        }
        #expect(occurrences(of: "<figure>", in: page) == 4)
        #expect(occurrences(of: "<figcaption>", in: page) == 4)
        #expect(occurrences(of: "<svg ", in: page) == 4)
        #expect(page.contains("<li>Octobre 2026 : rattrapage des entrées de l’été (fichier CNAF du 5 octobre).</li>"))
    }

    @Test(arguments: ["chart-programmes", "chart-cv", "chart-mouvements", "chart-constats"])
    func everyChartIsLabelledByItsTitleAndDescription(id: String) throws {
        let start = try #require(
            page.range(of: "<svg class=\"chart\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\""))
        let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
        let chart = String(page[start.lowerBound..<end.upperBound])
        #expect(chart.contains("<title id=\"\(id)-title\">"))
        #expect(chart.contains("<desc id=\"\(id)-desc\">"))
        // The figure closes right after its chart, and the chart's table follows it.
        let after = page[end.upperBound...]
        #expect(after.hasPrefix("\n</figure>\n<div class=\"table-wrap\">\n<table>\n<caption>Données du graphique"))
    }

    @Test func printsTheValuesInTheChartsAndTheTables() {
        // Programmes: rates, targets, whether they are met, people accompanied.
        #expect(page.contains(">72,5\u{A0}% · cible 60\u{A0}% : atteinte</text>"))
        #expect(page.contains(">31,8\u{A0}% · cible 35\u{A0}% : non atteinte</text>"))
        #expect(page.contains(">— · cible 25\u{A0}%</text>"))
        #expect(page.contains(">90\u{A0}%</text>"))
        #expect(
            page.contains(
                "<tr><th scope=\"row\">FA-12</th><td>Accompagnement socioprofessionnel renforcé</td><td>toutes</td>"
                    + "<td class=\"num\">1\u{202F}234</td><td class=\"num\">72,5\u{A0}%</td>"
                    + "<td class=\"num\">60\u{A0}%</td><td class=\"num\">31,8\u{A0}%</td>"
                    + "<td class=\"num\">35\u{A0}%</td></tr>"))
        // CV deposit: rate and counts; 0 people ready gives "—".
        #expect(page.contains(">72,5\u{A0}% (29 / 40)</text>"))
        #expect(page.contains(">— (0 / 0)</text>"))
        #expect(
            page.contains(
                "<tr><th scope=\"row\">Espace Insertion Haguenau</th><td>FA-12</td><td class=\"num\">25</td>"
                    + "<td class=\"num\">25</td><td class=\"num\">100\u{A0}%</td></tr>"))
        // Monthly: month labels on the axis, values over the bars, the table with the balance.
        #expect(page.contains(">sept.</text>"))
        #expect(page.contains(">1\u{202F}043</text>"))
        #expect(
            page.contains(
                "<tr><th scope=\"row\">octobre 2026</th><td class=\"num\">1\u{202F}043</td>"
                    + "<td class=\"num\">290</td><td class=\"num\">753</td></tr>"))
        #expect(page.contains("<td class=\"num\">301</td><td class=\"num\">\u{2212}14</td></tr>"))
        // Findings.
        #expect(page.contains(">Avertissement</text>"))
        #expect(
            page.contains(
                "<tr><th scope=\"row\" class=\"sev-information\">Information</th><td class=\"num\">240</td></tr>"))
        // Tables: one per chart, captioned, with column headers.
        #expect(occurrences(of: "<table>", in: page) == 4)
        #expect(occurrences(of: "<caption>Données du graphique", in: page) == 4)
        #expect(occurrences(of: "<th scope=\"col\"", in: page) == 8 + 5 + 4 + 2)
    }

    @Test func isSelfContainedWithoutScript() {
        for page in [page, DashboardRenderer.render(DashboardSamples.empty)] {
            #expect(!page.lowercased().contains("<script"))
            #expect(!page.contains("http://"))
            #expect(!page.contains("https://"))
            #expect(!page.contains("src="))
            #expect(!page.contains("href="))
            #expect(!page.contains("@import"))
            #expect(!page.lowercased().contains("javascript:"))
            #expect(!page.contains(" on"), "no event handler attribute")
            // url(...) only for the page's own hatch pattern.
            #expect(occurrences(of: "url(", in: page) == occurrences(of: "url(#", in: page))
        }
    }

    @Test func escapesEveryTextFromTheData() {
        var data = DashboardSamples.full
        data.title = "Bilan \"A&B\" l'été <b>"
        data.programmes[1].structure = "<script>alert(1)</script>"
        data.cvDeposit[0].structure = "<script>alert(1)</script>"
        data.findings[0].severity = "<img src=x onerror=alert(1)>"
        data.notes = ["Tom & Jerry's <note>"]
        data.generatedOn = "\"><script>"
        let page = DashboardRenderer.render(data)
        #expect(!page.lowercased().contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>"))
        #expect(!page.contains("<note>"))
        #expect(page.contains("<title>Bilan &quot;A&amp;B&quot; l&#39;été &lt;b&gt;</title>"))
        #expect(page.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"))
        #expect(page.contains("<th scope=\"row\">&lt;script&gt;alert(1)&lt;/script&gt;</th>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;</text>"))
        #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains("<li>Tom &amp; Jerry&#39;s &lt;note&gt;</li>"))
        #expect(page.contains("<time datetime=\"&quot;&gt;&lt;script&gt;\">&quot;&gt;&lt;script&gt;</time>"))
    }

    @Test func emptyDataGivesSentencesInsteadOfCharts() {
        let page = DashboardRenderer.render(DashboardSamples.empty)
        #expect(!page.contains("<figure>"))
        #expect(!page.contains("<svg"))
        #expect(!page.contains("<table>"))
        #expect(page.contains("<p class=\"empty\">Aucun programme n’a de résultats sur la période.</p>"))
        #expect(
            page.contains("<p class=\"empty\">Aucune structure n’a de personne prête à l’emploi sur la période.</p>"))
        #expect(
            page.contains("<p class=\"empty\">Aucun mois à montrer : pas d’entrée ni de sortie sur la période.</p>"))
        #expect(page.contains("<p class=\"empty\">Aucun constat des règles sur la période.</p>"))
        #expect(page.contains("<p class=\"empty\">Aucune note.</p>"))
        #expect(occurrences(of: "<section id=", in: page) == 5)
    }

    @Test func nilRatesAndZeroCountsShowADash() {
        let page = DashboardRenderer.render(DashboardSamples.noDenominators)
        #expect(occurrences(of: "<figure>", in: page) == 4)
        #expect(page.contains(">— · cible 60\u{A0}%</text>"))
        #expect(page.contains(">—</text>"))
        #expect(page.contains(">— (0 / 0)</text>"))
        #expect(
            page.contains(
                "<td class=\"num\">0</td><td class=\"num\">—</td><td class=\"num\">60\u{A0}%</td>"
                    + "<td class=\"num\">—</td><td class=\"num\">—</td></tr>"))
        #expect(page.contains("<td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">—</td></tr>"))
        // No bar drawn for a missing rate or a zero count, and no coordinate that is not a number.
        #expect(!page.contains("=\"nan"))
        #expect(!page.contains("=\"inf"))
        #expect(!page.contains("=\"-inf"))
    }

    @Test func drawsBarsToScale() {
        let chart = SVGCharts.cvDeposit(DashboardSamples.full.cvDeposit, id: "c")
        // From x = 12 to 600: 29 / 40 of 588 is 426.3; 25 / 25 fills it.
        #expect(chart.contains("<rect x=\"12\" y=\"54\" width=\"426.3\" height=\"18\" fill=\"#1f5f99\"/>"))
        #expect(chart.contains("<rect x=\"12\" y=\"104\" width=\"588\" height=\"18\" fill=\"#1f5f99\"/>"))
        // The 100 % line.
        #expect(chart.contains("<line x1=\"600\" y1=\"20\" x2=\"600\""))
    }
}

@Suite("French numbers and dates")
struct FrenchTextTests {
    @Test(arguments: [
        (0.725, "72,5\u{A0}%"), (0.4, "40\u{A0}%"), (1, "100\u{A0}%"), (0, "0\u{A0}%"), (0.00049, "0\u{A0}%"),
        (0.3333, "33,3\u{A0}%"), (0.99951, "100\u{A0}%"), (12.5, "1\u{202F}250\u{A0}%"), (-0.05, "\u{2212}5\u{A0}%"),
        (Double.nan, "—"),
    ])
    func percentages(rate: Double, expected: String) {
        #expect(FrenchText.percent(rate) == expected)
    }

    @Test func missingRate() {
        #expect(FrenchText.percent(nil) == "—")
    }

    @Test(arguments: [
        (0, "0"), (999, "999"), (1000, "1\u{202F}000"), (1_234_567, "1\u{202F}234\u{202F}567"),
        (-4200, "\u{2212}4\u{202F}200"),
    ])
    func integers(value: Int, expected: String) {
        #expect(FrenchText.integer(value) == expected)
    }

    @Test(
        "Decimals with a comma, one place, thousands grouped",
        arguments: [
            (0.0, "0,0"), (41.66, "41,7"), (1234.5, "1\u{202F}234,5"), (-2.25, "\u{2212}2,3"), (Double.infinity, "—"),
        ])
    func decimals(value: Double, expected: String) {
        #expect(FrenchText.decimal(value) == expected)
    }

    @Test func datesAndMonths() {
        #expect(FrenchText.longDate("2026-09-01") == "1er septembre 2026")
        #expect(FrenchText.longDate("2026-11-02") == "2 novembre 2026")
        #expect(FrenchText.longDate("bientôt") == "bientôt")
        #expect(FrenchText.shortMonth("2026-02") == ("févr.", "2026"))
        #expect(FrenchText.shortMonth("T3") == ("T3", ""))
        #expect(FrenchText.longMonth("2026-08") == "août 2026")
        #expect(FrenchText.longMonth("2026-13") == "2026-13")
    }

    @Test func escaping() {
        #expect(FrenchText.escape("a & b < c > d \"e\" 'f'") == "a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;")
        #expect(FrenchText.escape("bip\u{07}\u{0}fin\tà\n") == "bip\u{FFFD}\u{FFFD}fin\tà\n")
        #expect(FrenchText.escape("déjà vu — ok") == "déjà vu — ok")
    }

    @Test func scales() {
        #expect(SVGCharts.niceScale(0) == (4, 1))
        #expect(SVGCharts.niceScale(87) == (100, 20))
        #expect(SVGCharts.niceScale(240) == (250, 50))
        #expect(SVGCharts.niceScale(1043) == (1250, 250))
        #expect(SVGCharts.percentScaleMax([0.2, 0.9]) == 1)
        #expect(SVGCharts.percentScaleMax([1.3]) == 1.5)
        #expect(SVGCharts.number(12.34) == "12.3")
        #expect(SVGCharts.number(-0.45) == "-0.5")
    }
}
