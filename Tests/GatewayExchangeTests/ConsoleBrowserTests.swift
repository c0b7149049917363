import Foundation
import GatewayStore
import Testing

/// The staff console in a real browser: headless Chromium driven by Selenium (scripts/browser/console_flow.py)
/// against `serve` on loopback over a store of the samples. The test command installs Chromium, chromedriver and
/// Selenium and sets GATEWAY_REQUIRE_BROWSER=1; a developer's machine without them skips it.
@Suite("Staff console in a real browser")
struct ConsoleBrowserTests {
    static let required = ProcessInfo.processInfo.environment["GATEWAY_REQUIRE_BROWSER"] == "1"
    static var browserPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
            && ((try? run("/usr/bin/env", ["python3", "-c", "import selenium"]).status) == 0)
    }
    static let password = "une phrase de passe assez longue"

    @Test(
        "Sign in, find the operator's quarantined record, fix the mapping, reprocess from the page; reveal; a viewer refused",
        .enabled(if: required || browserPresent, "Chromium, chromedriver or Selenium missing"))
    func consoleFlow() throws {
        #expect(Self.browserPresent, "the test command installs chromium, chromium-driver and selenium")
        let directory = try TempDirectory()
        let mappings = directory.path("Mappings")
        try FileManager.default.copyItem(atPath: Repo.mappings, toPath: mappings)
        let store = directory.path("g.sqlite")
        for (flow, file) in [
            ("caf-beneficiaires", "cnaf/caf-67-2026-09.xml"), ("caf-beneficiaires", "cnaf/msa-67-2026-09.xml"),
            ("jobconnexion-cv", "jobconnexion-cv/jobconnexion-profils-2026-10-01.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-10.json"),
            ("operator-followup", "operator-followup/bad/suivi-unknown-codes.csv"),
        ] {
            let result = try run(
                Repo.cli,
                ["import", "--quiet", "--flow", flow, "--store", store, "--mappings", mappings, Repo.sample(file)])
            #expect(result.status <= 1, "\(file): \(result.err)")
        }
        for (login, role) in [("lea.viewer", "viewer"), ("omar.operator", "operator"), ("ada.admin", "admin")] {
            let added = try run(
                "/bin/sh",
                [
                    "-c",
                    "printf '%s\\n' \"$3\" | \"$0\" users add --store \"$1\" --login \"$2\" --name \"$2\" --role \"$4\"",
                    Repo.cli, store, login, Self.password, role,
                ])
            #expect(added.status == 0, "\(added.err)")
        }
        let inbox = directory.path("in")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let config = directory.path("gateway.yaml")
        try """
        store: \(store)
        mappings: \(mappings)
        work: \(directory.path("spool"))
        exchanges:
          - id: operateurs
            direction: in
            flow: operator-followup
            transport: folder
            location: \(inbox)
            pattern: "*.csv"
            schedule: "0 3 1 1 *"

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let (pid, port) = try ServiceTests.start(
            ["serve", "--config", config, "--tick", "1", "--listen", "127.0.0.1:0"], in: directory)
        defer {
            kill(pid, SIGTERM)
            _ = waitFor(pid)
        }
        let flow = try run(
            "/usr/bin/env",
            [
                "python3", Repo.root.appendingPathComponent("scripts/browser/console_flow.py").path,
                "http://127.0.0.1:\(port)", mappings, Self.password, directory.path("captures"),
            ])
        #expect(flow.status == 0, "\(flow.out)\n\(flow.err)")
        let steps = flow.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(steps.compactMap { $0["etape"] as? String } == ["lecteur", "operateur", "operateur", "administrateur"])
        // What the browser did is in the store: the record applied by the operator, the reveal and refusal audited.
        let gateway = try GatewayStore(path: store)
        let quarantine = try gateway.ledger.quarantineEntries(
            QuarantineQuery(filter: QuarantineFilter(flow: "operator-followup")))
        #expect(quarantine.contains { $0.status == "reprocessed" && $0.file == "suivi-unknown-codes.csv" })
        let audit = try gateway.access.auditLog()
        #expect(audit.contains { $0.action == "reprocess" && $0.actor == "console:omar.operator" })
        #expect(audit.contains { $0.action == "reveal-raw" && $0.purpose == "vérifier le type de sortie" })
        #expect(audit.contains { $0.action == "denied" && $0.actor == "console:lea.viewer" })
        #expect(FileManager.default.fileExists(atPath: directory.path("captures/enregistrement-repris.png")))
        if let keep = ProcessInfo.processInfo.environment["GATEWAY_KEEP_CAPTURES"] {
            for name in ["enregistrement-repris.png", "audit.png"] {
                try? FileManager.default.copyItem(atPath: directory.path("captures/" + name), toPath: keep + "/" + name)
            }
        }
    }
}
