import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// The partner samples (`Samples/<flow>/`): every good file validates, every bad file fails the way its README
/// says, and importing them after the CNAF sample links people by the expected identifier.
@Suite("Partner flow samples")
struct PartnerSamplesTests {
    static let flows: [String: FlowMapping] = try! MappingLoader.loadAll(directory: Repo.mappings.path)
    static let partnerFlows = [
        "ft-inscriptions", "jobconnexion-cv", "job-posts", "operator-followup", "sourcing-feedback",
    ]

    static func path(_ flow: String, _ file: String) -> String {
        Repo.root.appendingPathComponent("Samples").appendingPathComponent(flow).appendingPathComponent(file).path
    }

    static func pipeline(_ flow: String) throws -> FilePipeline {
        guard let mapping = flows[flow] else { throw TestFailure("mapping \(flow) missing") }
        return FilePipeline(flow: mapping, logger: silentLogger)
    }

    /// A good sample: its flow, its name, and how many records it holds.
    struct Good: Sendable, CustomTestStringConvertible {
        var flow: String
        var file: String
        var records: Int
        var testDescription: String { "\(flow)/\(file)" }
    }

    static let good: [Good] = [
        Good(flow: "ft-inscriptions", file: "pe-cg-inscriptions-2026-09.csv", records: 4),
        Good(flow: "ft-inscriptions", file: "pe-cg-cessations-2026-09.csv", records: 2),
        Good(flow: "ft-inscriptions", file: "pe-cg-radiations-2026-09.csv", records: 2),
        Good(flow: "ft-inscriptions", file: "pe-cg-stock-2026-09.csv", records: 4),
        Good(flow: "ft-inscriptions", file: "extraction-rsa-ft-2026-09-30.csv", records: 5),
        Good(flow: "ft-inscriptions", file: "fichier-PE-CG-67-2026-09.xml", records: 3),
        Good(flow: "jobconnexion-cv", file: "jobconnexion-profils-2026-10-01.csv", records: 4),
        Good(flow: "jobconnexion-cv", file: "jobconnexion-profils-2026-10-15.json", records: 3),
        Good(flow: "job-posts", file: "offres-67-68-2026-09.json", records: 6),
        Good(flow: "job-posts", file: "offres-67-68-2026-10.csv", records: 4),
        Good(flow: "operator-followup", file: "suivi-operateurs-2026-09.csv", records: 8),
        Good(flow: "operator-followup", file: "suivi-operateurs-2026-10.json", records: 4),
        Good(flow: "operator-followup", file: "suivi-operateurs-2026-11.csv", records: 6),
        Good(flow: "sourcing-feedback", file: "retours-equipes-entreprises-2026-10.csv", records: 4),
        Good(flow: "sourcing-feedback", file: "retours-equipes-entreprises-2026-11.json", records: 3),
        Good(flow: "sourcing-feedback", file: "retours-equipes-entreprises-2026-11-10.csv", records: 3),
    ]

    /// An issue a bad sample must produce; nil members are not checked.
    struct Issue: Sendable, CustomStringConvertible {
        var type: String
        var field: String?
        var line: Int?
        /// Text the message must contain (the missing column's name).
        var mentions: String?

        init(_ type: String, _ field: String? = nil, line: Int? = nil, mentions: String? = nil) {
            self.type = type
            self.field = field
            self.line = line
            self.mentions = mentions
        }

        var description: String { "\(type) \(field ?? "-") line \(line.map(String.init) ?? "-")" }

        func matches(_ reported: ReportedIssue) -> Bool {
            reported.type == type && (field == nil || reported.field == field)
                && (line == nil || reported.line == line)
                && (mentions.map { reported.message.contains($0) } ?? true)
        }
    }

    /// A bad sample: the exit code of `validate`, the issues it must report, and the records accepted.
    struct Bad: Sendable, CustomTestStringConvertible {
        var flow: String
        var file: String
        var exitCode: Int32
        var accepted: Int
        var issues: [Issue]
        var testDescription: String { "\(flow)/bad/\(file)" }
    }

    static let bad: [Bad] = [
        // France Travail.
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-inscriptions-missing-column.csv", exitCode: 2, accepted: 0,
            issues: [Issue("missing-label", line: 1, mentions: "dtnai")]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-mouvements-2026-09.csv", exitCode: 2, accepted: 0,
            issues: [Issue("format-error", "kind")]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-inscriptions-shifted-columns.csv", exitCode: 1, accepted: 2,
            issues: [Issue("constraint-error", "person.nirCheck", line: 3)]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-inscriptions-bad-identifiers.csv", exitCode: 1, accepted: 0,
            issues: [
                Issue("constraint-error", "person.nir", line: 2),
                Issue("type-error", "person.franceTravailID", line: 3),
                Issue("type-error", "commune", line: 4),
                Issue("type-error", "eventDate", line: 5),
            ]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-inscriptions-missing-identifier.csv", exitCode: 1, accepted: 1,
            issues: [Issue("missing-cell", "person.franceTravailID", line: 2)]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-inscriptions-unknown-category.csv", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "category", line: 2)]),
        Bad(
            flow: "ft-inscriptions", file: "pe-cg-cessations-duplicate.csv", exitCode: 1, accepted: 2,
            issues: [Issue("unique-error", "businessKey", line: 4)]),
        Bad(
            flow: "ft-inscriptions", file: "extraction-rsa-end-before-start.csv", exitCode: 1, accepted: 0,
            issues: [Issue("constraint-error", "cessationDate", line: 2), Issue("constraint-error", "rome", line: 3)]),
        Bad(
            flow: "ft-inscriptions", file: "fichier-PE-CG-unknown-movement.xml", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "kind")]),
        // Job Connexion.
        Bad(
            flow: "jobconnexion-cv", file: "profils-missing-column.csv", exitCode: 2, accepted: 0,
            issues: [Issue("missing-label", line: 1, mentions: "statut_profil")]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-latin1.csv", exitCode: 2, accepted: 0,
            issues: [Issue("format-error", line: 2, mentions: "UTF-8")]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-unknown-status.csv", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "profileStatus", line: 3)]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-update-before-deposit.csv", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "updatedOn", line: 2)]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-duplicate.csv", exitCode: 1, accepted: 2,
            issues: [Issue("unique-error", "businessKey", line: 4)]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-bad-identifiers.csv", exitCode: 1, accepted: 0,
            issues: [
                Issue("constraint-error", "person.nir", line: 2),
                Issue("type-error", "person.franceTravailID", line: 3),
                Issue("missing-cell", "person.nir", line: 4),
                Issue("type-error", "visibleToEmployers", line: 5),
            ]),
        Bad(
            flow: "jobconnexion-cv", file: "profils-malformed.json", exitCode: 2, accepted: 1,
            issues: [Issue("format-error", line: 3)]),
        // Job posts.
        Bad(
            flow: "job-posts", file: "offres-malformed.json", exitCode: 2, accepted: 0,
            issues: [Issue("format-error", line: 2)]),
        Bad(
            flow: "job-posts", file: "offres-missing-column.csv", exitCode: 2, accepted: 0,
            issues: [Issue("missing-label", line: 1, mentions: "code_rome")]),
        Bad(
            flow: "job-posts", file: "offres-bad-identifiers.json", exitCode: 1, accepted: 0,
            issues: [
                Issue("type-error", "rome"), Issue("constraint-error", "siret"), Issue("type-error", "commune"),
                Issue("type-error", "postalCode"),
            ]),
        Bad(
            flow: "job-posts", file: "offres-unknown-contract.json", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "contractType")]),
        Bad(
            flow: "job-posts", file: "offres-out-of-area.json", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "commune")]),
        Bad(
            flow: "job-posts", file: "offres-duplicate.json", exitCode: 1, accepted: 2,
            issues: [Issue("unique-error", "businessKey")]),
        Bad(
            flow: "job-posts", file: "offres-territory-mismatch.csv", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "territory", line: 2), Issue("constraint-error", "positions", line: 4)]),
        // Operators.
        Bad(
            flow: "operator-followup", file: "suivi-missing-column.csv", exitCode: 2, accepted: 0,
            issues: [Issue("missing-label", line: 1, mentions: "rdv_date")]),
        Bad(
            flow: "operator-followup", file: "suivi-end-before-start.csv", exitCode: 1, accepted: 0,
            issues: [
                Issue("constraint-error", "endDate", line: 2), Issue("constraint-error", "cerEnd", line: 2),
                Issue("constraint-error", "date", line: 3),
            ]),
        Bad(
            flow: "operator-followup", file: "suivi-unknown-codes.csv", exitCode: 1, accepted: 0,
            issues: [
                Issue("constraint-error", "fiche", line: 2), Issue("constraint-error", "exit.type", line: 3),
                Issue("constraint-error", "mode", line: 3), Issue("constraint-error", "mobility", line: 3),
            ]),
        Bad(
            flow: "operator-followup", file: "suivi-duplicate.csv", exitCode: 1, accepted: 2,
            issues: [Issue("unique-error", "businessKey", line: 4)]),
        Bad(
            flow: "operator-followup", file: "suivi-shifted-columns.csv", exitCode: 1, accepted: 1,
            issues: [Issue("constraint-error", "person.nir", line: 2), Issue("missing-cell", "exit.date", line: 2)]),
        Bad(
            flow: "operator-followup", file: "suivi-bad-identifiers.json", exitCode: 1, accepted: 0,
            issues: [
                Issue("type-error", "person.franceTravailID"), Issue("type-error", "targetROME"),
                Issue("constraint-error", "mobility"), Issue("constraint-error", "fiche"),
            ]),
        Bad(
            flow: "operator-followup", file: "suivi-malformed.json", exitCode: 2, accepted: 0,
            issues: [Issue("format-error")]),
        // Sourcing feedback.
        Bad(
            flow: "sourcing-feedback", file: "retours-missing-column.csv", exitCode: 2, accepted: 0,
            issues: [Issue("missing-label", line: 1, mentions: "resultat")]),
        Bad(
            flow: "sourcing-feedback", file: "retours-unknown-outcome.csv", exitCode: 1, accepted: 0,
            issues: [
                Issue("constraint-error", "outcome", line: 2), Issue("missing-cell", "contractType", line: 3),
                Issue("constraint-error", "contractType", line: 4),
            ]),
        Bad(
            flow: "sourcing-feedback", file: "retours-duplicate.csv", exitCode: 1, accepted: 2,
            issues: [Issue("unique-error", "businessKey", line: 4)]),
        Bad(
            flow: "sourcing-feedback", file: "retours-malformed.json", exitCode: 2, accepted: 1,
            issues: [Issue("format-error", line: 3)]),
    ]

    @Test("every sample file is listed here, and every listed file exists")
    func everySampleIsChecked() throws {
        let manager = FileManager.default
        var onDisk = Set<String>()
        for flow in Self.partnerFlows {
            for folder in [flow, flow + "/bad"] {
                let directory = Repo.root.appendingPathComponent("Samples").appendingPathComponent(folder).path
                for name in try manager.contentsOfDirectory(atPath: directory) where name != "README.md" {
                    var isDirectory: ObjCBool = false
                    let full = (directory as NSString).appendingPathComponent(name)
                    if manager.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                        onDisk.insert(folder + "/" + name)
                    }
                }
            }
        }
        let listed = Set(Self.good.map { "\($0.flow)/\($0.file)" } + Self.bad.map { "\($0.flow)/bad/\($0.file)" })
        #expect(onDisk == listed, "not checked: \(onDisk.subtracting(listed)), absent: \(listed.subtracting(onDisk))")
    }

    @Test("the partner flows load with their layouts")
    func flowsAndVariants() throws {
        let expected: [String: Set<String>] = [
            "ft-inscriptions": ["csv", "extract", "xml"], "jobconnexion-cv": ["csv", "json"],
            "job-posts": ["csv", "json"], "operator-followup": ["csv", "json"], "sourcing-feedback": ["csv", "json"],
        ]
        for (id, variants) in expected {
            let flow = try #require(Self.flows[id])
            #expect(Set(([flow] + flow.variants).compactMap(\.variant)) == variants, "\(id)")
        }
    }

    @Test("good samples validate with every record accepted", arguments: good)
    func goodSample(_ sample: Good) throws {
        let report = try Self.pipeline(sample.flow).validate(path: Self.path(sample.flow, sample.file))
        #expect(report.errors.isEmpty, "\(report.errors.map(\.message))")
        #expect(report.records == sample.records)
        #expect(report.accepted == sample.records && report.rejected == 0 && report.duplicates == 0)
        #expect(report.exitCode == 0)
    }

    @Test("bad samples fail with the expected issues", arguments: bad)
    func badSample(_ sample: Bad) throws {
        let report = try Self.pipeline(sample.flow).validate(path: Self.path(sample.flow, "bad/" + sample.file))
        #expect(report.exitCode == sample.exitCode)
        #expect(report.accepted == sample.accepted)
        for issue in sample.issues {
            #expect(
                report.errors.contains(where: issue.matches),
                "expected \(issue); got \(report.errors.map { "\($0.type) \($0.field ?? "-") line \($0.line ?? -1)" })")
        }
        if sample.exitCode == 2 {
            // A file refused as a whole says why before anything else; a missing column is reported before any row.
            #expect(report.errors.first.map(sample.issues[0].matches) == true)
        }
    }

    @Test(
        "odd France Travail samples: every record applied, the anomaly listed, no garbled character",
        arguments: [
            ("pe-cg-inscriptions-utf8.csv", "encoding-mismatch"),
            ("pe-cg-stock-windows1252.csv", "encoding-mismatch"),
            ("fichier-PE-CG-count-mismatch.xml", "count-mismatch"),
        ])
    func oddSample(file: String, check: String) throws {
        let pipeline = try Self.pipeline("ft-inscriptions")
        let report = pipeline.validate(path: Self.path("ft-inscriptions", "odd/" + file))
        #expect(report.exitCode == 0 && report.rejected == 0, "\(report.errors.map(\.message))")
        #expect(report.warnings.map(\.check) == [check])
        var texts: [String] = []
        _ = try RecordStream(flow: pipeline.flow).read(
            Self.path("ft-inscriptions", "odd/" + file), header: { _ in },
            record: { outcome in
                if case .partner(.enrolment(let enrolment), _, _, _) = outcome {
                    texts += [enrolment.person.surname ?? "", enrolment.person.firstName ?? ""]
                }
            })
        #expect(!texts.isEmpty)
        for text in texts {
            #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0xFFFD }, "\(text)")
            #expect(!text.contains("Ã"), "\(text)")
        }
        if file.contains("windows1252") { #expect(texts.contains("BŒUF")) }
    }

    @Test("a France Travail file in UTF-8 is read as UTF-8 with an anomaly, and its Latin-1 original decodes accents")
    func latin1Decoding() throws {
        let pipeline = try Self.pipeline("ft-inscriptions")
        var surnames: [String] = []
        _ = try RecordStream(flow: pipeline.flow).read(
            Self.path("ft-inscriptions", "pe-cg-stock-2026-09.csv"), header: { _ in },
            record: { outcome in
                if case .partner(.enrolment(let enrolment), _, _, _) = outcome {
                    surnames.append(enrolment.person.surname ?? "")
                    #expect(enrolment.kind == .stock)
                }
            })
        #expect(surnames == ["BOEUF", "CASANOVA", "GRÜNENWALD", "SCHNEIDER"])
        let store = try GatewayStore()
        let report = try pipeline.importFile(
            path: Self.path("ft-inscriptions", "pe-cg-stock-2026-09.csv"), ledger: store.ledger)
        #expect(report.outcome == .applied && report.accepted == 4)
        let utf8 = try pipeline.importFile(
            path: Self.path("ft-inscriptions", "odd/pe-cg-inscriptions-utf8.csv"), ledger: store.ledger)
        #expect(utf8.outcome == .applied && utf8.accepted == 4 && utf8.counts.anomalies == 1)
        #expect(utf8.anomalies.first?.check == "encoding-mismatch")
        var firstNames: [String] = []
        try store.export(.partnerRecords) { row in
            if let range = row[8].range(of: #""person.firstName":"[^"]*""#, options: .regularExpression) {
                firstNames.append(String(row[8][range]))
            }
        }
        #expect(firstNames.contains(#""person.firstName":"Mélanie""#), "\(firstNames)")
        #expect(!firstNames.contains { $0.contains("Ã") })
    }

    /// `matched_by` of each partner record, by business key, read from the store.
    static func matches(_ store: GatewayStore) throws -> [String: String] {
        var result: [String: String] = [:]
        var header = true
        try store.export(.partnerRecords) { row in
            defer { header = false }
            guard !header else { return }
            result[row[1]] = row[5].isEmpty ? "unmatched" : row[5]
        }
        return result
    }

    static func counts(_ store: GatewayStore) throws -> [String: Int] {
        try store.tableCounts().filter {
            [
                "received_file", "person", "partner_record", "person_identifier", "quarantine", "status_change",
            ].contains($0.key)
        }
    }

    @Test(
        "CNAF September, then France Travail and operators: people linked by the expected identifier",
        arguments: Backend.available)
    func importLinksPeople(backend: Backend) throws {
        let store = try backend.store()
        let cnaf = try FilePipeline(flow: Repo.cafFlow(), logger: silentLogger)
            .importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        #expect(cnaf.outcome == .applied && cnaf.accepted == 12)

        let france = [
            "pe-cg-inscriptions-2026-09.csv", "pe-cg-cessations-2026-09.csv", "pe-cg-radiations-2026-09.csv",
            "pe-cg-stock-2026-09.csv", "extraction-rsa-ft-2026-09-30.csv", "fichier-PE-CG-67-2026-09.xml",
        ]
        var unmatched = 0
        for file in france {
            let report = try Self.pipeline("ft-inscriptions").importFile(
                path: Self.path("ft-inscriptions", file), ledger: store.ledger)
            #expect(report.outcome == .applied && report.quarantined == 0, "\(file): \(report.errors)")
            unmatched += report.unmatched
        }
        // Only Nathalie MEYER-ROTH, in no CNAF file.
        #expect(unmatched == 1)

        let operators = try Self.pipeline("operator-followup")
        let september = try operators.importFile(
            path: Self.path("operator-followup", "suivi-operateurs-2026-09.csv"), ledger: store.ledger)
        #expect(september.outcome == .applied)
        #expect(september.records == 8 && september.accepted == 7 && september.quarantined == 1)
        #expect(september.unmatched == 1)
        let conflict = try #require(september.errors.first)
        #expect(conflict.type == "unique-error" && conflict.field == "person")
        #expect(conflict.value == "accompagnement OP68-COACHING C9-0035")
        // Masked: no full NIR in the report.
        #expect(!conflict.message.contains("2790767462208") && !conflict.message.contains("1840367482123"))
        let october = try operators.importFile(
            path: Self.path("operator-followup", "suivi-operateurs-2026-10.json"), ledger: store.ledger)
        #expect(october.outcome == .applied && october.accepted == 4 && october.quarantined == 0)

        let matched = try Self.matches(store)
        let expected: [String: String] = [
            "OP67-SOCIAL|ACC-2026-001": "nir",
            "OP67-PASSERELLE|P-0042": "france-travail",
            "OP67-SOCIOPRO|SP-1187": "matricule",
            "OP67-SOCIOPRO|SP-1203": "name",
            "OP68-COACHING|C9-0031": "nir",
            "OP38-PER|PER-0007": "nir",
            "OP67-SOCIAL|ACC-2026-014": "unmatched",
            "OP67-SOCIOPRO|SP-1240": "nir",
            "OP67-PASSERELLE|P-0051": "matricule",
            // BENCHÉRIF's France Travail id was learnt from the inscriptions file, matched there on his NIR.
            "OP68-COACHING|C9-0040": "france-travail",
            "OP38-PER|PER-0011": "name",
            "0457812K|stock|2025-02-03": "nir",
            "0999001N|radiation|2026-09-11": "unmatched",
            "4471209X001|stock|2024-06-12": "nir",
        ]
        for (key, via) in expected {
            #expect(matched[key] == via, "\(key): \(matched[key] ?? "absent")")
        }
        #expect(matched["OP68-COACHING|C9-0035"] == nil)
        #expect(matched.count == 19 + 11)

        // Re-importing a file changes nothing.
        let before = try Self.counts(store)
        let again = try operators.importFile(
            path: Self.path("operator-followup", "suivi-operateurs-2026-09.csv"), ledger: store.ledger)
        #expect(again.outcome == .alreadyReceived && again.alreadyReceived)
        #expect(again.fileID == september.fileID && again.quarantined == 1)
        let ftAgain = try Self.pipeline("ft-inscriptions").importFile(
            path: Self.path("ft-inscriptions", "pe-cg-stock-2026-09.csv"), ledger: store.ledger)
        #expect(ftAgain.outcome == .alreadyReceived)
        #expect(try Self.counts(store) == before)
        #expect(try Self.matches(store) == matched)
    }

    @Test(
        "the same records under another file name update nothing and are not quarantined", arguments: Backend.available)
    func sameContentAgain(backend: Backend) throws {
        let directory = try TempDirectory()
        let store = try backend.store()
        _ = try FilePipeline(flow: Repo.cafFlow(), logger: silentLogger)
            .importFile(path: Repo.sample("caf-67-2026-09.xml"), ledger: store.ledger)
        let pipeline = try Self.pipeline("job-posts")
        let first = try pipeline.importFile(
            path: Self.path("job-posts", "offres-67-68-2026-09.json"), ledger: store.ledger)
        #expect(first.outcome == .applied && first.accepted == 6)
        let before = try Self.counts(store)
        // Same records, other bytes (so another hash): the records already stored are not duplicated.
        let copy = directory.path("offres-copie.json")
        var text = try String(contentsOfFile: Self.path("job-posts", "offres-67-68-2026-09.json"), encoding: .utf8)
        text += "\n"
        try text.write(toFile: copy, atomically: true, encoding: .utf8)
        let second = try pipeline.importFile(path: copy, ledger: store.ledger)
        #expect(second.outcome == .applied && second.quarantined == 0)
        var after = try Self.counts(store)
        #expect(after["received_file"] == (before["received_file"] ?? 0) + 1)
        after["received_file"] = before["received_file"]
        #expect(after == before)
    }
}

/// Operators' follow-up: meetings by telephone or video are meetings (fiches 1, 4 and 9 count the telephone).
@Suite("Operator follow-up: meeting modes")
struct MeetingModeTests {
    @Test("rdv_mode TEL and VISIO are read as telephone and video, not quarantined", arguments: Backend.available)
    func telephoneAndVideo(backend: Backend) throws {
        let directory = try TempDirectory()
        let sample = try String(
            contentsOf: Repo.root.appendingPathComponent("Samples/operator-followup/suivi-operateurs-2026-09.csv"),
            encoding: .utf8)
        let lines = sample.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        // The first accompaniment's first row, three times: in person, by telephone, by video, on other days.
        let row = lines[1]
        let rows = [("02/03/2026", "IND"), ("10/04/2026", "TEL"), ("12/05/2026", "VISIO")].map { date, mode in
            row.replacingOccurrences(of: ";02/03/2026;IND;N", with: ";\(date);\(mode);N")
        }
        #expect(rows[1].hasSuffix(";10/04/2026;TEL;N"))
        let path = directory.path("suivi-modes.csv")
        try ([lines[0]] + rows).joined(separator: "\r\n").appending("\r\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        let flow = try #require(flows["operator-followup"])
        let store = try backend.store()
        let report = try FilePipeline(flow: flow, logger: silentLogger).importFile(path: path, ledger: store.ledger)
        #expect(report.outcome == .applied)
        #expect(report.accepted == 1 && report.quarantined == 0, "\(report.errors)")
    }
}
