import Foundation
import Testing

/// The dashboard of the samples, rendered by headless Chromium at 1400 px and at a phone's 390 px: sizes and
/// regions are checked (scripts/browser/dashboard_layout.py), not pixels. The test command installs Chromium,
/// chromedriver and Selenium and sets GATEWAY_REQUIRE_BROWSER=1, so there a missing browser fails the test; a
/// developer's machine without them skips it.
@Suite("Dashboard in a real browser")
struct DashboardBrowserTests {
    static let required = ProcessInfo.processInfo.environment["GATEWAY_REQUIRE_BROWSER"] == "1"
    static var browserPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
            && ((try? run("/usr/bin/env", ["python3", "-c", "import selenium"]).status) == 0)
    }

    @Test(
        "The samples' dashboard at 1400 px and on a phone: headline first, no sideways scroll, full-page captures",
        .enabled(if: required || browserPresent, "Chromium, chromedriver or Selenium missing"))
    func layout() throws {
        #expect(Self.browserPresent, "the test command installs chromium, chromium-driver and selenium")
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let samples = Repo.root.appendingPathComponent("Samples")
        for (flow, file) in [
            ("caf-beneficiaires", "cnaf/caf-67-2026-09.xml"), ("caf-beneficiaires", "cnaf/msa-67-2026-09.xml"),
            ("jobconnexion-cv", "jobconnexion-cv/jobconnexion-profils-2026-10-01.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-10.json"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-11.csv"),
            ("caf-beneficiaires", "cnaf/caf-67-2026-10.xml"),
        ] {
            let result = try run(
                Repo.cli,
                ["import", "--quiet", "--flow", flow, "--store", store, samples.appendingPathComponent(file).path])
            #expect(result.status <= 1, "\(file): \(result.err)")
        }
        let page = directory.path("tableau-de-bord.html")
        let dashboard = try run(
            Repo.cli,
            [
                "report", "dashboard", "--quiet", "--store", store, "--from", "2025-01-01", "--as-of", "2026-11-02",
                "--out", page,
            ])
        #expect(dashboard.status == 0, "\(dashboard.err)")
        let shots = directory.path("captures")
        let check = try run(
            "/usr/bin/env",
            ["python3", Repo.root.appendingPathComponent("scripts/browser/dashboard_layout.py").path, page, shots])
        #expect(check.status == 0, "\(check.out)\n\(check.err)")
        let lines = check.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.map { $0["largeur"] as? String } == ["bureau", "telephone"], "\(check.out)")
        for (line, width) in zip(lines, [1400, 390]) {
            let capture = line["capture"] as? [Int] ?? []
            #expect(capture.first == width && (capture.last ?? 0) > 1000, "\(line)")
        }
        for name in ["tableau-de-bord-bureau.png", "tableau-de-bord-telephone.png"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/" + name))
        }
    }
}
