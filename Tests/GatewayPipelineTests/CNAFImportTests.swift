import Foundation
import GRDB
import GatewayCore
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

@Suite("CNAF flux bénéficiaires, end to end through the pipeline")
struct CNAFImportTests {
    let flow = try! Repo.cafFlow()

    func pipeline() -> FilePipeline { FilePipeline(flow: flow, logger: silentLogger) }

    @Test("September then October: exactly the expected status changes", arguments: Backend.available)
    func statusChangesBetweenMonths(backend: Backend) throws {
        let store = try backend.store()
        let september = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        #expect(september.outcome == .applied)
        #expect(september.records == 12 && september.accepted == 12 && september.quarantined == 0)
        let october = try pipeline().importFile(path: Repo.sample("caf-67-2026-10.xml"), ledger: store.ledger)
        #expect(october.outcome == .applied)
        let changes = try store.people.statusChanges(fileID: try #require(october.fileID))
        let summary = Set(
            changes.map { change in
                [
                    change.matricule, change.personRole ?? "", change.kind, change.effectiveDate ?? "",
                    change.before ?? "", change.after ?? "", change.motive ?? "", change.eventCode ?? "",
                ].joined(separator: "|")
            })
        let expected: Set<String> = [
            // A: payment suspended for hospitalisation.
            "2418736||right-state|2026-10-01|2|4|44|",
            "2418736||payment-suspended|2026-10-01||44|44|",
            "2418736||cnaf-event|2026-10-09||||HOSPLA",
            // B: closed.
            "3107452||right-state|2026-10-31|2|5|PCG|",
            "3107452||right-closed|2026-10-31|2|5|PCG|",
            "3107452||cnaf-event|2026-10-24||||RAD",
            // C: moved to Moselle, closed MUT.
            "1984552||right-state|2026-10-31|2|5|MUT|",
            "1984552||right-closed|2026-10-31|2|5|MUT|",
            "1984552||moved-departement|2026-10-31|67|57||",
            // D: the spouse left.
            "712345|CJT|person-left|2026-10-31|CJT|||",
            // E: payment resumed.
            "4418203||right-state|2026-10-31|4|2||",
            // F: new household.
            "7350026||new-household|2026-10-12||0||",
            // G: the spouse is no longer soumis à droits et devoirs.
            "2755301|CJT|droits-devoirs|2026-10-31|1|0||",
            // J: absent from the monthly file.
            "3991207||absent-from-monthly-file|2026-10-31|5|||",
        ]
        #expect(
            summary == expected,
            "unexpected: \(summary.subtracting(expected)), missing: \(expected.subtracting(summary))")
        #expect(changes.count == expected.count)
        #expect(october.statusChanges == expected.count)
    }

    @Test(
        "September then October: who is present and which file last listed each person and household",
        arguments: Backend.available)
    func presenceMarksBetweenMonths(backend: Backend) throws {
        let store = try backend.store()
        let september = try #require(
            try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger).fileID)
        let october = try #require(
            try pipeline().importFile(path: Repo.sample("caf-67-2026-10.xml"), ledger: store.ledger).fileID)
        // Every person and household as the right-of-access export shows them.
        var people: [Int64: [String: Any]] = [:]
        var households: [Int64: [String: Any]] = [:]
        for id in Int64(1)...200 {
            guard let data = try store.people.personExport(id),
                let export = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { continue }
            for row in export["people"] as? [[String: Any]] ?? [] { people[row["id"] as! Int64] = row }
            for row in export["households"] as? [[String: Any]] ?? [] { households[row["id"] as! Int64] = row }
        }
        #expect(households.count == 13 && !people.isEmpty)
        for (id, household) in households {
            let matricule = household["matricule"] as! String
            // J is absent from October's file: still last listed in September; every other one in October.
            let expected = matricule == "3991207" ? september : october
            #expect(household["last_file_id"] as? Int64 == expected, "household \(matricule)")
            for person in people.values where person["household_id"] as? Int64 == id {
                let role = person["role"] as! String
                if matricule == "712345" && role == "CJT" {
                    // D: the spouse left in October: kept, absent, last listed in September.
                    #expect(person["present"] as? Int64 == 0)
                    #expect(person["last_file_id"] as? Int64 == september)
                } else {
                    #expect(person["present"] as? Int64 == 1, "\(matricule) \(role)")
                    #expect(person["last_file_id"] as? Int64 == expected, "\(matricule) \(role)")
                }
            }
        }
    }

    @Test("Importing the same file twice changes nothing and says so", arguments: Backend.available)
    func reimportIsNoOp(backend: Backend) throws {
        let store = try backend.store()
        let first = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        let countsAfterFirst = try store.tableCounts()
        let second = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        #expect(second.outcome == .alreadyReceived)
        #expect(second.alreadyReceived)
        #expect(second.fileID == first.fileID)
        #expect(second.records == first.records && second.accepted == first.accepted)
        #expect(second.exitCode == 0)
        #expect(try store.tableCounts() == countsAfterFirst)
    }

    @Test("A household already known with the same state yields no change", arguments: Backend.available)
    func unchangedHouseholdsYieldNoChange(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        // Same content, different bytes (so a different hash): an extra comment line.
        let directory = try TempDirectory()
        var data = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("caf-67-2026-09.xml")))
        data.append(contentsOf: Array("<!-- renvoi -->\n".utf8))
        try data.write(to: URL(fileURLWithPath: directory.path("resent.xml")))
        let resent = try pipeline().importFile(path: directory.path("resent.xml"), ledger: store.ledger)
        #expect(resent.outcome == .applied)
        #expect(resent.accepted == 12)
        #expect(resent.statusChanges == 0)
    }

    @Test("CAF and MSA households live side by side, keyed by organisme and matricule", arguments: Backend.available)
    func msaFile(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        let msa = try pipeline().importFile(path: Repo.sample("msa-67-2026-09.xml"), ledger: store.ledger)
        #expect(msa.accepted == 3)
        var organismes: [String: Int] = [:]
        var nirs: [String] = []
        try store.export(.households) { row in organismes[row[0], default: 0] += 1 }
        try store.export(.people) { row in if row[0] == "MSA" { nirs.append(row[3]) } }
        #expect(organismes["CAF"] == 12 && organismes["MSA"] == 3)
        // MSA NIRs carry their key: 15 characters stored.
        #expect(nirs.allSatisfy { $0.count == 15 })
    }

    @Test(
        "Every bad file is accounted for: nothing lost, nothing half-applied",
        arguments: [
            ("malformed.xml", "unreadable", 0),
            ("undeclared-encoding.xml", "unreadable", 0),
            ("xxe.xml", "unreadable", 0),
            ("billion-laughs.xml", "unreadable", 0),
            ("undefined-byte.xml", "unreadable", 0),
            ("wrong-nir-key.xml", "applied", 1),
            ("duplicate-household.xml", "applied", 1),
        ])
    func badFiles(name: String, outcome: String, quarantined: Int) throws {
        for backend in Backend.available {
            let store = try backend.store()
            let directory = try TempDirectory()
            let report = try pipeline().importFile(
                path: Repo.sample("bad/" + name), ledger: store.ledger, keepDirectory: directory.path("refused"))
            #expect(report.outcome.rawValue == outcome)
            #expect(report.records == report.accepted + report.duplicates + report.quarantined)
            #expect(report.quarantined == quarantined)
            #expect(!report.errors.isEmpty)
            let counts = try store.tableCounts()
            #expect(counts["received_file"] == 1)
            if outcome == "applied" {
                #expect(report.exitCode == 1)
                #expect(counts["quarantine"] == quarantined)
            } else {
                // Not half-applied: no household, no quarantine row; the file itself is kept aside.
                #expect(report.exitCode == 2)
                #expect(counts["household"] == 0 && counts["quarantine"] == 0 && counts["status_change"] == 0)
                let kept = try #require(report.keptPath)
                #expect(FileManager.default.contentsEqual(atPath: kept, andPath: Repo.sample("bad/" + name)))
                let again = try pipeline().importFile(path: Repo.sample("bad/" + name), ledger: store.ledger)
                #expect(again.alreadyReceived && again.exitCode == 2)
            }
            // No error meant for the partner carries a full NIR.
            for issue in report.errors {
                #expect(issue.message.range(of: #"[0-9]{13}"#, options: .regularExpression) == nil)
                #expect(issue.value?.range(of: #"[0-9]{13}"#, options: .regularExpression) == nil)
            }
        }
    }

    @Test("Quarantined records keep their raw XML and French, located errors", arguments: Backend.available)
    func quarantineContent(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("bad/wrong-nir-key.xml"), ledger: store.ledger)
        var rows: [[String]] = []
        try store.export(.quarantine) { rows.append($0) }
        #expect(rows.count == 2)
        let row = rows[1]
        #expect(row[2] == "2")  // the second record, numbered from 1
        #expect(row[6].hasPrefix("<InfosFoyerRSA>"))
        let issues = try JSONDecoder().decode([ValidationIssue].self, from: Data(row[5].utf8))
        let issue = try #require(issues.first)
        #expect(issue.type == .constraintError)
        #expect(issue.field == "nir")
        #expect(issue.path == "InfosFoyerRSA[2]/Personne[1]/Identification/NIR")
        #expect(issue.line != nil)
        #expect(issue.message.contains("Clé du NIR incorrecte"))
    }

    @Test(
        "A failure in the middle of a file leaves no trace; the next run applies it fully", arguments: Backend.available
    )
    func failureMidFileRollsBack(backend: Backend) throws {
        let store = try backend.store()
        let flow = self.flow
        let (sha, size) = try FilePipeline.sha256(of: Repo.sample("caf-67-2026-09.xml"))
        let arrival = FileArrival(partner: flow.partner, flow: flow.id, name: "x.xml", size: size, sha256: sha)
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            _ = try store.ledger.apply(arrival, referenceDate: nil) { session in
                var applied = 0
                _ = try RecordStream(flow: flow).read(
                    Repo.sample("caf-67-2026-09.xml"), header: { _ in },
                    record: { outcome in
                        if case .household(let household, _, _, _) = outcome { _ = try session.apply(household) }
                        applied += 1
                        if applied == 5 { throw Crash() }
                    })
            }
        }
        #expect(try store.tableCounts().values.allSatisfy { $0 == 0 })
        let report = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        #expect(report.outcome == .applied && report.accepted == 12)
    }

    @Test(
        "Every household is kept whole: its record as received, every XSD element, in the access export",
        arguments: Backend.available)
    func householdKeptWhole(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        #expect(try store.tableCounts()["household_source"] == 12)
        let id = try #require(try store.people.findPeople("1840367482123").first)
        let export = try #require(try store.people.personExport(id))
        let json = try #require(try JSONSerialization.jsonObject(with: export) as? [String: Any])
        let records = try #require(json["cnafRecords"] as? [[String: Any]])
        let raw = try #require(records.first?["raw"] as? String)
        // Elements no canonical field reads are there, as received (accents decoded, nothing garbled).
        for element in ["<SITFAM>", "<Activite>", "<MontantsCalculDroitRSA>", "<NOMCOMNAI>", "BŒUF"] {
            #expect(raw.contains(element), "\(element)")
        }
        #expect(!raw.contains("HOSPLA"))
        // October: one record per household, the last received (F is new; A's has its new event).
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-10.xml"), ledger: store.ledger)
        #expect(try store.tableCounts()["household_source"] == 13)
        let october = try #require(try store.people.personExport(id))
        let latest = try #require(
            ((try JSONSerialization.jsonObject(with: october) as? [String: Any])?["cnafRecords"] as? [[String: Any]])?
                .first?["raw"] as? String)
        #expect(latest.contains("HOSPLA"))
    }

    @Test(
        "Activity, family situation and resources are canonical: their changes are status changes",
        arguments: Backend.available)
    func fullerHousehold(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        // The October file, with A's family situation, A's applicant's activity and B's resources changed.
        let october = try #require(
            String(
                data: try Data(contentsOf: URL(fileURLWithPath: Repo.sample("caf-67-2026-10.xml"))),
                encoding: .windowsCP1252))
        var changed = october.replacingOccurrences(of: "<SITFAM>MAR</SITFAM>", with: "<SITFAM>DIV</SITFAM>")
        changed = changed.replacingOccurrences(of: "<ACT>SSA</ACT>", with: "<ACT>SAL</ACT>")
        changed = changed.replacingOccurrences(
            of: "<MTRESSMENRSA>312.40</MTRESSMENRSA>", with: "<MTRESSMENRSA>512.40</MTRESSMENRSA>")
        #expect(changed != october)
        let directory = try TempDirectory()
        let path = directory.path("caf-67-2026-10.xml")
        try changed.write(toFile: path, atomically: true, encoding: .windowsCP1252)
        let report = try pipeline().importFile(path: path, ledger: store.ledger)
        let changes = try store.people.statusChanges(fileID: try #require(report.fileID))
        let kinds = changes.map(\.kind)
        #expect(kinds.filter { $0 == "family-change" }.count >= 1)
        #expect(kinds.contains("activity-change"))
        #expect(changes.contains { $0.kind == "resources-declared" && $0.before == "312.40" && $0.after == "512.40" })
        #expect(changes.contains { $0.kind == "activity-change" && $0.before == "SSA" && $0.after == "SAL" })
    }

    @Test(
        "A household repeated in one file is reported whatever the store holds (even a later month)",
        arguments: Backend.available)
    func repeatedHouseholdAgainstALaterStore(backend: Backend) throws {
        let store = try backend.store()
        _ = try pipeline().importFile(path: Repo.sample("caf-67-2026-10.xml"), ledger: store.ledger)
        let report = try pipeline().importFile(path: Repo.sample("bad/duplicate-household.xml"), ledger: store.ledger)
        #expect(report.quarantined == 1 && report.errors.first?.type == "unique-error")
        #expect(report.records == report.accepted + report.duplicates + report.quarantined)
    }

    @Test("Validation with the XSD: the samples are valid, a missing element is a schema error")
    func schemaValidation() throws {
        #expect(FileManager.default.fileExists(atPath: Repo.xsd.path), "the CNAF XSD must be at \(Repo.xsd.path)")
        for name in ["caf-67-2026-09.xml", "caf-67-2026-10.xml", "msa-67-2026-09.xml"] {
            let report = pipeline().validate(path: Repo.sample(name), schemaPath: Repo.xsd.path)
            #expect(report.exitCode == 0, "\(name): \(report.errors.map(\.message))")
        }
        let bad = pipeline().validate(path: Repo.sample("bad/missing-required.xml"), schemaPath: Repo.xsd.path)
        #expect(bad.exitCode == 1)
        // Records are numbered from 1, as in the notices and the API.
        #expect(bad.errors.contains { $0.type == "schema-error" && $0.record == 2 })
        #expect(bad.rejected == 1 && bad.accepted == 2)
    }
}

@Suite("Two-thread import when the store fails")
struct StoreFailureTests {
    @Test("A database error in the middle of a file stops the reading thread and leaves no trace")
    func databaseErrorMidFile() throws {
        let directory = try TempDirectory()
        let path = directory.path("failing.sqlite")
        let store = try GatewayStore(path: path)
        // A trigger makes the sixth household fail, as a full disk or a broken constraint would.
        let raw = try DatabaseQueue(path: path)
        try raw.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER fail_after_five AFTER INSERT ON household
                    WHEN (SELECT COUNT(*) FROM household) > 5
                    BEGIN SELECT RAISE(FAIL, 'disque plein'); END
                    """)
        }
        try raw.close()
        let pipeline = FilePipeline(flow: try Repo.cafFlow(), logger: silentLogger)
        #expect(throws: (any Error).self) {
            _ = try pipeline.importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        }
        #expect(try store.tableCounts().values.allSatisfy { $0 == 0 })
    }
}
