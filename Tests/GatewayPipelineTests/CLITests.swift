import Foundation
import GatewayStore
import Testing

/// The CLI contract other issues and users rely on, run as a separate process.
@Suite("insertion-gateway command line", .serialized)
struct CLITests {
    let cli = Repo.cli

    func json(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }

    @Test(
        "validate --json: contract keys and exit codes",
        arguments: [
            ("caf-67-2026-09.xml", Int32(0)), ("bad/wrong-nir-key.xml", 1), ("bad/malformed.xml", 2),
            ("bad/xxe.xml", 2), ("odd/count-mismatch.xml", 0), ("bad/undefined-byte.xml", 2),
        ])
    func validateJSON(sample: String, exit: Int32) throws {
        let result = try run(
            cli, ["validate", "--quiet", "--json", "--flow", "caf-beneficiaires", Repo.sample(sample)])
        #expect(result.status == exit, "\(result.err)")
        let report = try json(result.out)
        for key in ["records", "accepted", "rejected", "errors"] { #expect(report[key] != nil, "missing \(key)") }
        let errors = try #require(report["errors"] as? [[String: Any]])
        #expect((exit == 0) == errors.isEmpty)
        for error in errors {
            for key in ["type", "message"] { #expect(error[key] != nil) }
        }
        #expect(result.err.isEmpty, "nothing on stderr with --quiet: \(result.err)")
    }

    @Test("Errors a user meets are French, name what was typed and say what to write instead")
    func frenchErrors() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let command = try run(cli, ["improt", "fichier.xml"])
        #expect(command.status == 64)
        #expect(command.err.contains("commande inconnue « improt » : vouliez-vous dire « import » ?"), "\(command.err)")
        let table = try run(cli, ["export", "foyer", "--store", store])
        #expect(table.status == 64)
        #expect(table.err.contains("Table « foyer » inconnue. Vouliez-vous dire « foyers » ?"), "\(table.err)")
        let missing = try run(cli, ["export", "foyers", "--store", store])
        #expect(missing.status == 64 && missing.err.contains("Base introuvable : \(store)"), "\(missing.err)")
        let imported = try run(
            cli,
            ["import", "--quiet", "--flow", "caf-beneficiaires", "--store", store, Repo.sample("caf-67-2026-09.xml")])
        #expect(imported.status == 0, "\(imported.err)")
        let french = try run(cli, ["export", "foyers", "--store", store, "--format", "csv"])
        let english = try run(cli, ["export", "households", "--store", store, "--format", "csv"])
        #expect(french.status == 0 && french.out == english.out, "\(french.err)")
        #expect(french.out.split(whereSeparator: \.isNewline).count == 13, "a header and the 12 households")
        let date = try run(cli, ["check", "--store", store, "--as-of", "05/12/2026"])
        #expect(date.status == 64)
        #expect(
            date.err.contains("--as-of attend une date AAAA-MM-JJ, pas « 05/12/2026 » : écrire --as-of 2026-12-05."),
            "\(date.err)")
        let folder = try run(cli, ["export", "foyers", "--store", directory.url.path])
        #expect(folder.status != 0)
        #expect(folder.err.contains("est un dossier : --store attend le chemin d'un fichier SQLite"), "\(folder.err)")
    }

    @Test("A reader that closes the output early (| head -1) ends the command normally", arguments: ["csv", "json"])
    func closedOutput(format: String) throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        try makeLargeCNAF(households: 1_500, at: directory.path("large.xml"))
        let imported = try run(
            cli, ["import", "--quiet", "--flow", "caf-beneficiaires", "--store", store, directory.path("large.xml")])
        #expect(imported.status == 0, "\(imported.err)")
        for arguments in [
            ["export", "people", "--store", store, "--format", format],
            ["export", "status-changes", "--store", store, "--format", format],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: cli)
            process.arguments = arguments + ["--quiet"]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // One line, as `head -1` reads, then the pipe is closed while the command still has megabytes to write.
            _ = out.fileHandleForReading.readData(ofLength: 200)
            try out.fileHandleForReading.close()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, "\(arguments)")
            #expect(process.terminationStatus == 0, "\(arguments): \(String(decoding: errors, as: UTF8.self))")
        }
    }

    @Test("A partner's value never forges a log line: escaped and bounded")
    func logInjection() throws {
        let directory = try TempDirectory()
        let forged = "JC-1\n2026-12-04T00:00:00+0000 critical insertion-gateway: forged line\r\u{1B}[31m"
        let profile: [String: Any] = [
            "idProfil": forged + String(repeating: "x", count: 500),
            "personne": [
                "nir": "29602672X8099", "nom": "SCHNEIDER", "prenom": "Aurélie", "dateNaissance": "1996-02-28",
            ],
            "cv": ["dateDepot": "2026-07-02T10:14:00+02:00"], "statut": "ACTIF", "visibleEmployeurs": true,
        ]
        let data = try JSONSerialization.data(withJSONObject: ["profils": [profile]])
        try data.write(to: URL(fileURLWithPath: directory.path("profils.json")))
        let result = try run(
            cli,
            [
                "import", "--flow", "jobconnexion-cv", "--store", directory.path("g.sqlite"),
                directory.path("profils.json"),
            ])
        let lines = result.err.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.contains { $0.contains("record quarantined") }, "\(result.err)")
        // Every line is a log line of its own: a time stamp first, none forged, none past a bounded length.
        for line in lines {
            #expect(line.hasPrefix("20") && !line.contains("\r") && !line.contains("\u{1B}"), "\(line)")
            #expect(!line.hasPrefix("2026-12-04T00:00:00+0000 critical"))
            #expect(line.count < 1_500, "\(line.prefix(100))…")
        }
        #expect(result.err.contains(#"JC-1\n2026-12-04"#))
    }

    @Test("import --json twice, then export every table in CSV and JSON")
    func importAndExport() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let first = try run(
            cli,
            [
                "import", "--quiet", "--json", "--flow", "caf-beneficiaires", "--store", store,
                Repo.sample("caf-67-2026-09.xml"),
            ])
        #expect(first.status == 0, "\(first.err)")
        let report = try json(first.out)
        for key in ["file", "sha256", "records", "accepted", "duplicates", "quarantined", "statusChanges"] {
            #expect(report[key] != nil, "missing \(key)")
        }
        #expect(report["records"] as? Int == 12)
        let second = try run(
            cli, ["import", "--flow", "caf-beneficiaires", "--store", store, Repo.sample("caf-67-2026-09.xml")])
        #expect(second.status == 0)
        #expect(second.out.contains("déjà reçu"))
        for table in ["households", "people", "status-changes", "quarantine", "files"] {
            let csv = try run(cli, ["export", table, "--store", store, "--format", "csv"])
            #expect(csv.status == 0, "\(table): \(csv.err)")
            #expect(!csv.out.isEmpty)
            let exported = try run(cli, ["export", table, "--store", store, "--format", "json"])
            #expect(exported.status == 0)
            let rows = try JSONSerialization.jsonObject(with: Data(exported.out.utf8)) as? [[String: String]]
            #expect(rows != nil, "\(table) JSON is an array of objects")
            if table == "households" { #expect(rows?.count == 12) }
        }
    }

    @Test("Logs never carry a full NIR, a name or an address")
    func logsAreMasked() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        var secrets = Set<String>()
        var logs = ""
        let files =
            try FileManager.default.contentsOfDirectory(atPath: Repo.samples.path).filter { $0.hasSuffix(".xml") }
            + FileManager.default.contentsOfDirectory(atPath: Repo.samples.appendingPathComponent("bad").path)
            .map { "bad/" + $0 }
        for name in files {
            let raw = try Data(contentsOf: URL(fileURLWithPath: Repo.sample(name)))
            let text = String(decoding: raw, as: UTF8.self)
            for tag in ["NIR", "NOM", "PRENOM", "NOMVOIE"] {
                let pattern = "<\(tag)>([^<]{4,})</\(tag)>"
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) {
                        secrets.insert(String(text[range]).trimmingCharacters(in: .whitespaces))
                    }
                }
            }
            let result = try run(
                cli,
                ["import", "--log-level", "trace", "--flow", "caf-beneficiaires", "--store", store, Repo.sample(name)])
            logs += result.out + result.err
        }
        #expect(secrets.count > 20)
        for secret in secrets where secret.count >= 4 {
            #expect(!logs.contains(secret), "log or report leaks a personal value (\(secret.prefix(3))…)")
        }
    }

    /// Bytes a process has read so far (`rchar` in `/proc/PID/io`).
    static func bytesRead(by pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("rchar:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    @Test("The gateway killed in the middle of an import leaves no trace; the next run applies the file fully")
    func killMidImport() throws {
        let directory = try TempDirectory()
        let big = directory.path("big.xml")
        try makeLargeCNAF(households: 8_000, at: big)
        let store = directory.path("killed.sqlite")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["import", "--quiet", "--flow", "caf-beneficiaires", "--store", store, big]
        process.currentDirectoryURL = Repo.root
        try process.run()
        // The CLI reads the file twice: once to hash it, then to import it inside one transaction. Kill it
        // without warning once it has read a third of the second pass, counted by the kernel.
        let size = try #require(try FileManager.default.attributesOfItem(atPath: big)[.size] as? Int)
        var waited = 0
        while waited < 6_000 && process.isRunning {
            if let read = Self.bytesRead(by: process.processIdentifier), read > size + size / 3 { break }
            usleep(5_000)
            waited += 1
        }
        #expect(process.isRunning, "the import should still be running when killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let killed = try GatewayStore(path: store)
        let countsAfterKill = try killed.tableCounts()
        #expect(countsAfterKill.values.allSatisfy { $0 == 0 }, "\(countsAfterKill)")

        let rerun = try run(cli, ["import", "--quiet", "--json", "--flow", "caf-beneficiaires", "--store", store, big])
        #expect(rerun.status == 0, "\(rerun.err)")
        let clean = directory.path("clean.sqlite")
        _ = try run(cli, ["import", "--quiet", "--flow", "caf-beneficiaires", "--store", clean, big])
        for table in ["households", "people", "status-changes"] {
            let left = try run(cli, ["export", table, "--store", store, "--format", "csv"])
            let right = try run(cli, ["export", table, "--store", clean, "--format", "csv"])
            #expect(left.out == right.out, "\(table) differs after a killed run")
            #expect(left.out.utf8.split(separator: UInt8(ascii: "\n")).count > 8_000 || table == "status-changes")
        }
    }

    @Test("Partner flows through the CLI: import, people show, source, alerts, notice")
    func partnerCommands() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let samples = Repo.root.appendingPathComponent("Samples")
        func importFile(_ flow: String, _ file: String) throws -> [String: Any] {
            let result = try run(
                cli,
                [
                    "import", "--quiet", "--json", "--flow", flow, "--store", store,
                    samples.appendingPathComponent(file).path,
                ])
            #expect(result.status <= 1, "\(file): \(result.err)")
            return try json(result.out)
        }
        _ = try importFile("caf-beneficiaires", "cnaf/caf-67-2026-09.xml")
        _ = try importFile("job-posts", "job-posts/offres-67-68-2026-09.json")
        let followup = try importFile("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv")
        #expect(followup["quarantined"] as? Int == 1 && followup["unmatched"] as? Int == 1)
        _ = try importFile("operator-followup", "operator-followup/suivi-operateurs-2026-11.csv")
        _ = try importFile("caf-beneficiaires", "cnaf/caf-67-2026-10.xml")

        let person = try run(cli, ["people", "show", "--quiet", "--json", "--store", store, "1840367482123"])
        #expect(person.status == 0, "\(person.err)")
        #expect(person.out.contains("\"accompaniment\"") && person.out.contains("\"matchedBy\" : \"nir\""))
        #expect(!person.out.contains("1840367482123"), "people show masks the NIR")
        let nobody = try run(cli, ["people", "show", "--quiet", "--store", store, "1850567482999"])
        #expect(nobody.status == 1)

        let source = try run(
            cli,
            [
                "source", "--quiet", "--json", "--store", store, "--out", directory.path("out"), "--date", "2026-11-02",
                "--format", "xml", "DE67-2026-0412",
            ])
        #expect(source.status == 0, "\(source.err)")
        let written = try json(source.out)
        #expect(written["partner"] as? String == "developpeurs-emploi" && written["records"] as? Int == 2)
        let unknown = try run(cli, ["source", "--quiet", "--store", store, "NOPE"])
        #expect(unknown.status == 1 && unknown.err.contains("inconnue"))

        let alerts = try run(
            cli,
            ["alerts", "--quiet", "--json", "--store", store, "--out", directory.path("out"), "--date", "2026-11-02"])
        #expect(alerts.status == 0, "\(alerts.err)")
        #expect(alerts.out.contains("OP67-SOCIOPRO") && alerts.out.contains("OP68-COACHING"))

        let notice = try run(
            cli, ["notice", "--quiet", "--json", "--store", store, "--out", directory.path("out"), "3"])
        #expect(notice.status == 0, "\(notice.err)")
        #expect(try json(notice.out)["records"] as? Int == 1)

        // An online copy of the store: the same exports; a second copy never overwrites the first.
        let copy = directory.path("copie.sqlite")
        let backup = try run(cli, ["backup", "--quiet", "--store", store, "--to", copy])
        #expect(backup.status == 0 && backup.out.contains("Base copiée"), "\(backup.err)")
        for table in ["files", "people", "status-changes", "proposals"] {
            let original = try run(cli, ["export", table, "--quiet", "--store", store])
            let copied = try run(cli, ["export", table, "--quiet", "--store", copy])
            #expect(copied.status == 0 && copied.out == original.out && !original.out.isEmpty, "\(table)")
        }
        let again = try run(cli, ["backup", "--quiet", "--store", store, "--to", copy])
        #expect(again.status == 1 && again.err.contains("existe déjà"))
    }

    @Test("users add (password on stdin, kept hashed), list, disable; bad role or password refused; audited")
    func staffUsers() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        func add(_ login: String, role: String, password: String) throws -> (status: Int32, out: String, err: String) {
            try run(
                "/bin/sh",
                [
                    "-c",
                    "printf '%s\\n' \"$3\" | \"$0\" users add --store \"$1\" --login \"$2\" --name 'Marie Martin' --role \"$4\"",
                    cli, store, login, password, role,
                ])
        }
        let created = try add("marie.martin", role: "operator", password: "trois chevaux bleus")
        #expect(created.status == 0, "\(created.err)")
        #expect(created.out.contains("Compte marie.martin créé"))
        let weak = try add("paul", role: "viewer", password: "court")
        #expect(weak.status != 0 && weak.err.contains("Mot de passe trop court"), "\(weak.err)")
        let role = try add("paul", role: "superuser", password: "trois chevaux bleus")
        #expect(role.status != 0 && role.err.contains("--role : viewer, operator ou admin"), "\(role.err)")
        let again = try add("marie.martin", role: "viewer", password: "trois chevaux bleus")
        #expect(again.status == 1 && again.err.contains("existe déjà"), "\(again.err)")
        let list = try run(cli, ["users", "list", "--store", store, "--format", "csv"])
        #expect(list.out.contains("marie.martin;Marie Martin;operator;"), "\(list.out)")
        #expect(!list.out.contains("trois chevaux") && !list.out.contains("$2b$"))
        let disabled = try run(cli, ["users", "disable", "--store", store, "marie.martin"])
        #expect(disabled.status == 0, "\(disabled.err)")
        #expect(try run(cli, ["users", "disable", "--store", store, "marie.martin"]).status == 1)
        // The hash is bcrypt's, and it checks the password.
        let gatewayStore = try GatewayStore(path: store)
        let account = try #require(try gatewayStore.staff.account(login: "marie.martin"))
        #expect(account.passwordHash.hasPrefix("$2b$12$") && !account.isActive)
        let audit = try gatewayStore.access.auditLog().map(\.action)
        #expect(audit == ["staff-account-created", "staff-account-disabled"])
    }

    @Test("reprocess --resolve closes one quarantined record by hand, with a reason; never twice")
    func resolveByHand() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let imported = try run(
            cli,
            [
                "import", "--quiet", "--flow", "operator-followup", "--store", store,
                Repo.root.appendingPathComponent("Samples/operator-followup/bad/suivi-unknown-codes.csv").path,
            ])
        #expect(imported.status == 1, "\(imported.err) \(imported.out)")
        let record = try #require(try GatewayStore(path: store).ledger.quarantineEntries().first).id
        let noReason = try run(cli, ["reprocess", "--store", store, "--resolve", "\(record)"])
        #expect(noReason.status == 1 && noReason.err.contains("Une raison est requise"), "\(noReason.err)")
        let resolved = try run(
            cli, ["reprocess", "--store", store, "--resolve", "\(record)", "--reason", "doublon du fichier d'octobre"])
        #expect(resolved.status == 0 && resolved.out.contains("clos à la main"), "\(resolved.err)")
        let again = try run(cli, ["reprocess", "--store", store, "--resolve", "\(record)", "--reason", "encore"])
        #expect(again.status == 1 && again.err.contains("Aucun enregistrement ouvert"), "\(again.err)")
        let entry = try #require(try GatewayStore(path: store).ledger.quarantineEntries().first { $0.id == record })
        #expect(entry.status == "resolved" && entry.resolution == "doublon du fichier d'octobre")
        #expect(
            try GatewayStore(path: store).access.auditLog().contains { $0.action == "resolve" && $0.actor == "cli" })
    }

    @Test("A structure offering fiche 9 outside the Haut-Rhin is refused by flows and check, in French")
    func ficheOutsideTerritory() throws {
        let directory = try TempDirectory()
        let mappings = directory.path("Mappings")
        try FileManager.default.copyItem(atPath: Repo.root.appendingPathComponent("Mappings").path, toPath: mappings)
        let structures = mappings + "/structures.yaml"
        let text = try String(contentsOfFile: structures, encoding: .utf8)
        try
            (text
                + """

                  OP67-JOBCOACHING:
                    name: Job Coaching, Bas-Rhin
                    departement: "67"
                    fiches: ["9"]
                    referents: { "Réf. J01": 1.0 }

                """).write(toFile: structures, atomically: true, encoding: .utf8)
        let message =
            "OP67-JOBCOACHING : la fiche 9 n'est proposée que sur le territoire 68 ; structure du département 67"
        let flows = try run(cli, ["flows", "--mappings", mappings])
        #expect(flows.status == 2)
        #expect(flows.err.contains(message), "\(flows.err)")
        let check = try run(cli, ["check", "--mappings", mappings, "--store", directory.path("g.sqlite")])
        #expect(check.status != 0)
        #expect(check.err.contains(message), "\(check.err)")
        // The département's own files pass.
        let own = try run(cli, ["flows", "--mappings", Repo.root.appendingPathComponent("Mappings").path])
        #expect(own.status == 0, "\(own.err)")
    }

    @Test("check, report cv-deposit (exit 1 under 100 %), report indicators, report dashboard on the samples")
    func rulesAndReports() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let samples = Repo.root.appendingPathComponent("Samples")
        for (flow, file) in [
            ("caf-beneficiaires", "cnaf/caf-67-2026-09.xml"),
            ("jobconnexion-cv", "jobconnexion-cv/jobconnexion-profils-2026-10-01.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-11.csv"),
            ("caf-beneficiaires", "cnaf/caf-67-2026-10.xml"),
        ] {
            let result = try run(
                cli, ["import", "--quiet", "--flow", flow, "--store", store, samples.appendingPathComponent(file).path])
            #expect(result.status <= 1, "\(file): \(result.err)")
        }
        let check = try run(
            cli, ["check", "--quiet", "--store", store, "--as-of", "2026-11-02", "--format", "json"])
        #expect(check.status == 0, "\(check.err)")
        let findings = try #require(
            try JSONSerialization.jsonObject(with: Data(check.out.utf8)) as? [[String: String]])
        #expect(
            findings.contains { $0["regle"] == "right-closed-while-accompanied" && $0["accompagnement"] == "SP-1302" })
        #expect(findings.allSatisfy { !($0["personne"] ?? "").contains("2790767462208") }, "masked people")
        let filtered = try run(
            cli, ["check", "--quiet", "--store", store, "--as-of", "2026-11-02", "--structure", "OP68-COACHING"])
        #expect(!filtered.out.contains("OP67-SOCIOPRO"))

        let cv = try run(cli, ["report", "cv-deposit", "--quiet", "--store", store, "--as-of", "2026-11-02"])
        #expect(cv.status == 1, "a rate under 100 % makes the exit status non-zero")
        #expect(cv.out.contains("SP-1301") && cv.out.contains("Objectif de dépôt des CV non atteint"))

        let indicators = try run(
            cli,
            [
                "report", "indicators", "--quiet", "--store", store, "--from", "2026-09-01", "--to", "2026-10-31",
                "--format", "csv", "--out-dir", directory.path("indicateurs"), "--decimal-comma",
            ])
        #expect(indicators.status == 0, "\(indicators.err)")
        // One table per file, French decimals.
        let table = try String(contentsOfFile: directory.path("indicateurs/indicateurs.csv"), encoding: .utf8)
        #expect(table.hasPrefix("fiche;structure;accompagnes;termines;reprise;taux_reprise"), "\(table)")
        #expect(table.contains(",0 %") && !table.contains(".0 %"), "\(table)")
        let per = try String(contentsOfFile: directory.path("indicateurs/indicateurs-per.csv"), encoding: .utf8)
        #expect(per.hasPrefix("structure;accompagnes;entrees"), "\(per)")
        #expect(!per.contains("fiche;structure"))

        let missing = try run(
            cli,
            [
                "report", "cv-deposit", "--quiet", "--missing", "--store", store, "--as-of", "2026-11-02", "--format",
                "csv",
            ])
        #expect(missing.out.hasPrefix("fiche;structure;referent;accompagnement;personne;motif;depuis;cv_ailleurs"))
        #expect(missing.out.contains("SP-1301") && !missing.out.contains("1840367482123"), "\(missing.out)")

        let page = directory.path("dashboard.html")
        let dashboard = try run(
            cli, ["report", "dashboard", "--quiet", "--store", store, "--as-of", "2026-11-02", "--out", page])
        #expect(dashboard.status == 0, "\(dashboard.err)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for part in [
            "<html lang=\"fr\">", "L’essentiel", "Programmes et objectifs", "Dépôt des CV", "<svg", "<table",
            "Dépôt des CV par référent", "Constats par structure et référent", ">Critique</th>",
            "Parcours emploi renforcé (Isère)", "territoire : département 38",
        ] {
            #expect(html.contains(part), "missing \(part)")
        }
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
    }
}
