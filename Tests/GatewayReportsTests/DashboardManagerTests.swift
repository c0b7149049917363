import Foundation
import GatewayReports
import Testing

/// The page a manager reads at a glance: headline first, French severities in colours that differ and meet WCAG AA,
/// drill-downs by structure and référent, Isère's PER indicators, the day of production apart from the period.
@Suite("Dashboard for a manager")
struct DashboardManagerTests {
    static var data: DashboardData {
        var data = DashboardSamples.full
        data.generatedOn = "2026-12-06"
        data.headline = DashboardHeadline(
            accompanied: 1368, cvJobReady: 83, cvDeposited: 61, cvTarget: 1, returnToWork: 412,
            returnToWorkOutOf: 1330, returnToWorkTarget: 0.58, criticalFindings: 12, findings: 339)
        data.cvByReferent = [
            CVReferentRow(
                programme: "fiche 5", structure: "Espace Insertion Haguenau", referent: "Réf. P07", jobReady: 3,
                deposited: 1, elsewhere: 1,
                missing: ["NIR 184********** (SP-1) : absent depuis le 2026-10-08, CV ailleurs : cap-emploi"])
        ]
        var byReferent = ProgrammeRow(
            ficheCode: "5", label: "Accompagnement socioprofessionnel", structure: "Espace Insertion Haguenau",
            accompanied: 12, repriseRate: 0.25, repriseTarget: 0.4, sortieEmploiRate: 0.125, sortieEmploiTarget: 0.3)
        byReferent.referent = "Réf. T21"
        data.programmesByReferent = [byReferent]
        data.findingsByPlace = [
            FindingPlaceRow(
                structure: "Espace Insertion Haguenau", referent: "Réf. P07", critical: 2, warning: 5, info: 1)
        ]
        data.per = [
            PERRow(
                structure: "toutes", accompanied: 70, newEntries: 12, cerRate: 0.9, actionsPerPerson: 4.25,
                employerActionsPerPerson: 1.5, collectiveSessions: 9, meanDurationDays: 211.4,
                exits: "CDI 3, FORMATION 2",
                reorientations: 4)
        ]
        data.perNote =
            "Parcours emploi renforcé ; territoire : département 38 ; période de l’action : du 2023-01-01 au 2025-12-31."
        return data
    }

    let page = DashboardRenderer.render(Self.data)

    func index(of text: String) -> String.Index? { page.range(of: text)?.lowerBound }

    @Test("The headline block comes first: people, CV deposit against 100 %, return to work against target, critical")
    func headlineFirst() throws {
        let headline = try #require(index(of: "<section id=\"essentiel\""))
        let programmes = try #require(index(of: "<section id=\"programmes\""))
        #expect(headline < programmes)
        let block = String(page[headline..<programmes])
        for part in [
            "Personnes accompagnées", "1\u{202F}368", "CV déposés dans Job Connexion", "73,5\u{00A0}%",
            "61 sur 83 prêtes à l’emploi ; cible 100\u{00A0}% — non atteinte", "Reprise d’activité ou d’emploi",
            "31\u{00A0}%", "cible 58\u{00A0}%", "Constats critiques", ">12<",
        ] {
            #expect(block.contains(part), "headline misses \(part)")
        }
        #expect(block.contains("class=\"card missed\" id=\"essentiel-cv\""))
    }

    @Test("« Édité le » is the day of production; the period is stated apart")
    func dates() {
        #expect(page.contains("Édité le <time datetime=\"2026-12-06\">6 décembre 2026</time>"))
        #expect(page.contains("Période couverte : du <time datetime=\"2026-05-01\">1er mai 2026</time>"))
    }

    @Test("Severities in French, in three distinct colours, each ≥ 4.5:1 against its text (WCAG AA)")
    func severities() throws {
        for label in ["Critique", "Avertissement", "Information"] {
            #expect(page.contains(">\(label)</th>"), "\(label)")
        }
        #expect(!page.contains(">critical<") && !page.contains(">warning<"))
        var backgrounds: Set<String> = []
        for name in ["critique", "avertissement", "information"] {
            // The page's own style sheet gives each severity's colours.
            let rule = try #require(
                page.range(of: "td.sev-\(name) { background: ").map { page[$0.upperBound...].prefix(30) })
            let background = String(rule.prefix(7))
            let text = String(rule.drop { $0 != "#" }.dropFirst(7).drop { $0 != "#" }.prefix(7))
            #expect(Self.contrast(background, text) >= 4.5, "\(name): \(background) on \(text)")
            #expect(Self.contrast(background, "#ffffff") >= 4.5, "\(name) against the white page")
            backgrounds.insert(background)
        }
        #expect(backgrounds.count == 3)
        // Hues apart, not three shades of one colour.
        let hues = backgrounds.map(Self.hue).sorted()
        #expect(zip(hues, hues.dropFirst()).allSatisfy { $1 - $0 >= 20 }, "\(hues)")
    }

    @Test("Drill-downs per référent: programme results, CV deposit with who is missing, findings")
    func drillDowns() {
        #expect(page.contains("<section id=\"depot-cv-referents\""))
        #expect(page.contains("<th scope=\"row\">Réf. P07</th><td>Espace Insertion Haguenau</td><td>fiche 5</td>"))
        #expect(page.contains("absent depuis le 2026-10-08, CV ailleurs : cap-emploi"))
        #expect(page.contains("<section id=\"programmes-referents\""))
        #expect(
            page.contains(
                "<th scope=\"row\">Réf. T21</th><td>Espace Insertion Haguenau</td><td>5</td><td class=\"num\">12</td>"
                    + "<td class=\"num\">25\u{00A0}%</td><td class=\"num\">40\u{00A0}%</td>"))
        #expect(page.contains("<section id=\"constats-detail\""))
        #expect(page.contains("<td class=\"num sev-critique\">2</td>"))
        #expect(page.contains("<details open>"))
    }

    @Test("Isère's PER indicators with their territory and period")
    func per() {
        #expect(page.contains("<section id=\"per\""))
        #expect(page.contains("territoire : département 38"))
        #expect(page.contains("du 2023-01-01 au 2025-12-31"))
        #expect(page.contains("<td class=\"num\">90\u{00A0}%</td>"))
        #expect(page.contains("4,3") || page.contains("4,25"))
        #expect(page.contains("CDI 3, FORMATION 2"))
    }

    @Test("A page without the new blocks still renders the rest")
    func optionalBlocks() {
        let plain = DashboardRenderer.render(DashboardSamples.full)
        #expect(!plain.contains("id=\"essentiel\"") && !plain.contains("id=\"per\""))
        #expect(plain.contains("id=\"programmes\""))
    }

    // MARK: - Colour arithmetic (WCAG 2.1 relative luminance)

    static func channels(_ hex: String) -> [Double] {
        let digits = Array(hex.dropFirst())
        return stride(from: 0, to: 6, by: 2).map { Double(Int(String(digits[$0...$0 + 1]), radix: 16) ?? 0) / 255 }
    }

    static func luminance(_ hex: String) -> Double {
        let linear = channels(hex).map { $0 <= 0.039_28 ? $0 / 12.92 : pow(($0 + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    }

    static func contrast(_ a: String, _ b: String) -> Double {
        let (x, y) = (luminance(a), luminance(b))
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }

    static func hue(_ hex: String) -> Double {
        let c = channels(hex)
        let (high, low) = (c.max()!, c.min()!)
        guard high > low else { return 0 }
        let delta = high - low
        var hue: Double
        if high == c[0] {
            hue = (c[1] - c[2]) / delta
        } else if high == c[1] {
            hue = 2 + (c[2] - c[0]) / delta
        } else {
            hue = 4 + (c[0] - c[1]) / delta
        }
        hue *= 60
        return hue < 0 ? hue + 360 : hue
    }
}
