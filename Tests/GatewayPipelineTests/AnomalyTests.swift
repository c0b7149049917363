import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// The partner's schema decides what is rejected; the gateway's own checks warn (`docs/checks.md`).
@Suite("Plausibility checks: XSD-valid oddities are applied with anomalies")
struct AnomalyTests {
    let flow = try! Repo.cafFlow()

    func pipeline(_ flow: FlowMapping? = nil) -> FilePipeline {
        FilePipeline(flow: flow ?? self.flow, logger: silentLogger)
    }

    /// An odd CNAF sample: what it is, the check that must flag it, and how many anomalies.
    struct Odd: Sendable, CustomTestStringConvertible {
        var file: String
        var check: String
        var anomalies: Int
        /// The line the first anomaly names.
        var line: Int?
        var testDescription: String { "cnaf/odd/\(file)" }
    }

    static let odd: [Odd] = [
        Odd(file: "no-applicant.xml", check: "household-without-applicant", anomalies: 1, line: 186),
        Odd(file: "several-applicants.xml", check: "several-applicants", anomalies: 1, line: 12),
        Odd(file: "person-in-two-households.xml", check: "person-in-several-households", anomalies: 1, line: 273),
        Odd(file: "future-date.xml", check: "future-date", anomalies: 1, line: 198),
        Odd(file: "shifted-birthdate.xml", check: "nir-identity-mismatch", anomalies: 2, line: 36),
        Odd(file: "count-mismatch.xml", check: "count-mismatch", anomalies: 1, line: nil),
        Odd(file: "utf8-declared-windows1252.xml", check: "encoding-mismatch", anomalies: 1, line: 33),
        Odd(file: "utf8-lines.xml", check: "encoding-mismatch", anomalies: 1, line: 33),
        Odd(file: "utf8-bom.xml", check: "encoding-mismatch", anomalies: 1, line: 1),
        Odd(file: "latin1-declared-windows1252-bytes.xml", check: "encoding-mismatch", anomalies: 1, line: 66),
    ]

    @Test("validate: every record valid, the anomaly listed with its check", arguments: odd)
    func validateOdd(_ sample: Odd) throws {
        let report = pipeline().validate(path: Repo.sample("odd/" + sample.file), schemaPath: Repo.xsd.path)
        #expect(report.exitCode == 0, "\(report.errors.map(\.message))")
        #expect(report.errors.isEmpty && report.rejected == 0 && report.accepted == report.records)
        let anomalies = report.warnings.filter { $0.check == sample.check }
        #expect(anomalies.count == sample.anomalies, "\(report.warnings.map(\.message))")
        #expect(anomalies.first?.line == sample.line)
    }

    @Test("import: applied, anomalies stored, counted, exported; the same file again changes nothing", arguments: odd)
    func importOdd(_ sample: Odd) throws {
        for backend in Backend.available {
            let store = try backend.store()
            let path = Repo.sample("odd/" + sample.file)
            let report = try pipeline().importFile(path: path, ledger: store.ledger)
            #expect(report.outcome == .applied && report.exitCode == 0)
            #expect(report.quarantined == 0 && report.accepted == report.records)
            #expect(report.counts.anomalies == sample.anomalies)
            #expect(report.anomalies.allSatisfy { $0.check == sample.check })
            var exported: [[String]] = []
            try store.export(.anomalies) { exported.append($0) }
            #expect(exported.count == sample.anomalies + 1)
            #expect(exported.dropFirst().allSatisfy { $0[7] == sample.check })
            let ledger = try #require(try store.ledger.receivedFiles().first)
            #expect(ledger.anomalies == sample.anomalies)
            let before = try store.tableCounts()
            let again = try pipeline().importFile(path: path, ledger: store.ledger)
            #expect(again.alreadyReceived && again.counts.anomalies == sample.anomalies)
            #expect(try store.tableCounts() == before)
        }
    }

    @Test(
        "names read from a file whose bytes contradict its encoding are never garbled",
        arguments: odd.filter { $0.check == "encoding-mismatch" })
    func namesAreClean(_ sample: Odd) throws {
        let store = try GatewayStore()
        _ = try pipeline().importFile(path: Repo.sample("odd/" + sample.file), ledger: store.ledger)
        var names: [String] = []
        try store.export(.people) { row in names.append(row[5] + " " + row[7]) }
        #expect(names.contains("WALTER Jean-Noël"), "\(names)")
        for name in names {
            #expect(!name.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0xFFFD }, "\(name)")
            #expect(!name.contains("Ã"), "\(name)")
        }
    }

    @Test("a UTF-16 file with its byte order mark reads like the original")
    func utf16() throws {
        let store = try GatewayStore()
        let report = try pipeline().importFile(path: Repo.sample("odd/utf16.xml"), ledger: store.ledger)
        #expect(report.outcome == .applied && report.accepted == 3 && report.counts.anomalies == 0)
        var names: [String] = []
        try store.export(.people) { row in names.append(row[7]) }
        #expect(names.contains("Jean-Noël"))
    }

    @Test("person show lists the anomalies of the person's household")
    func peopleShow() throws {
        let store = try GatewayStore()
        _ = try pipeline().importFile(path: Repo.sample("odd/person-in-two-households.xml"), ledger: store.ledger)
        let id = try #require(try store.people.findPeople("175046730003545").first)
        let view = try #require(try store.people.person(id))
        #expect(view.anomalies.map(\.check) == ["person-in-several-households"])
        #expect(view.anomalies.first?.issue.value == "175************")
    }

    @Test("the rejection notice lists anomalies when the mapping asks for it")
    func notice() throws {
        let store = try GatewayStore()
        let report = try pipeline().importFile(path: Repo.sample("odd/no-applicant.xml"), ledger: store.ledger)
        let directory = try TempDirectory()
        let outbound = Outbound(flows: try MappingLoader.loadAll(directory: Repo.mappings.path), store: store)
        let written = try outbound.notice(fileID: try #require(report.fileID), directory: directory.url.path)
        let text = try String(contentsOfFile: written.path, encoding: .utf8)
        #expect(text.contains("anomalie:household-without-applicant"))
        #expect(text.contains("Enregistrement appliqué"))
    }

    /// The flow with some checks set otherwise, as a département would write in its mapping.
    func flow(_ checks: [PlausibilityCheck: CheckSeverity]) -> FlowMapping {
        var flow = self.flow
        flow.checks = CheckPolicy(checks)
        return flow
    }

    @Test("a check set to reject quarantines the record, with the finding as its error")
    func rejectRecord() throws {
        let store = try GatewayStore()
        let report = try pipeline(flow([.householdWithoutApplicant: .reject])).importFile(
            path: Repo.sample("odd/no-applicant.xml"), ledger: store.ledger)
        #expect(report.outcome == .applied && report.quarantined == 1 && report.accepted == 2)
        #expect(report.errors.first?.check == "household-without-applicant")
        #expect(report.errors.first?.record == 2)
        #expect(report.counts.anomalies == 0)
    }

    @Test("person-in-several-households set to reject quarantines every household after the first")
    func rejectCrossCheck() throws {
        let report = pipeline(flow([.personInSeveralHouseholds: .reject])).validate(
            path: Repo.sample("odd/person-in-two-households.xml"))
        #expect(report.rejected == 1 && report.accepted == 2)
        #expect(report.errors.first?.check == "person-in-several-households")
    }

    @Test("count-mismatch set to reject refuses the file whole and keeps it")
    func rejectFile() throws {
        let store = try GatewayStore()
        let directory = try TempDirectory()
        let report = try pipeline(flow([.countMismatch: .reject])).importFile(
            path: Repo.sample("odd/count-mismatch.xml"), ledger: store.ledger, keepDirectory: directory.path("refused"))
        #expect(report.outcome == .rejected && report.exitCode == 2)
        #expect(report.errors.first?.type == "reconciliation-error")
        #expect(try store.tableCounts()["household"] == 0)
        #expect(report.keptPath != nil)
    }

    @Test("encoding-mismatch set to reject refuses a file whose bytes contradict its encoding")
    func rejectEncoding() throws {
        let report = pipeline(flow([.encodingMismatch: .reject])).validate(
            path: Repo.sample("odd/utf8-lines.xml"))
        #expect(!report.readable && report.exitCode == 2)
        #expect(report.errors.first?.check == "encoding-mismatch")
    }

    @Test("a check set to off is not made")
    func off() throws {
        let report = pipeline(flow([.severalApplicants: .off])).validate(
            path: Repo.sample("odd/several-applicants.xml"))
        #expect(report.exitCode == 0 && report.warnings.isEmpty)
    }

    @Test("an unknown check or severity in a mapping is refused when it is loaded")
    func mappingChecks() throws {
        let text = try String(
            contentsOfFile: Repo.mappings.appendingPathComponent(
                "caf-msa-beneficiaires-vrsb0801.yaml"
            ).path, encoding: .utf8)
        let loaded = try MappingLoader.load(yaml: text)
        #expect(loaded.checks[.countMismatch] == .warn && loaded.noticeListsAnomalies)
        let unknown = text.replacingOccurrences(of: "  future-date: warn", with: "  futur-date: warn")
        let error = try #require(throws: MappingError.self) { try MappingLoader.load(yaml: unknown) }
        #expect(error.description.contains("futur-date"))
        let severity = text.replacingOccurrences(of: "  future-date: warn", with: "  future-date: maybe")
        #expect(throws: MappingError.self) { try MappingLoader.load(yaml: severity) }
    }

    @Test("the same person as applicant in many households of one file: each household after the first is flagged")
    func manyHouseholds() throws {
        // Four households whose applicant has the same NIR, built from the MSA sample's first household.
        let source = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("msa-67-2026-09.xml")))
        let text = try #require(String(data: source, encoding: .windowsCP1252))
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains("<InfosFoyerRSA>") })
        let end = try #require(lines.firstIndex { $0.contains("</InfosFoyerRSA>") })
        let household = lines[start...end].joined(separator: "\n")
        var households: [String] = []
        for number in 0..<4 {
            households.append(
                household.replacingOccurrences(of: "<MATRICULE>8800412", with: "<MATRICULE>880041\(number)"))
        }
        let trailer = try #require(lines.lastIndex { $0.contains("<TransmissionFlux>") })
        let document = (lines[..<start] + households + lines[trailer...]).joined(separator: "\n")
            .replacingOccurrences(of: "<NBTOTDOSRSATRANSM>3<", with: "<NBTOTDOSRSATRANSM>4<")
        let directory = try TempDirectory()
        let path = directory.path("many.xml")
        try document.write(toFile: path, atomically: true, encoding: .windowsCP1252)
        let report = pipeline().validate(path: path)
        #expect(report.accepted == 4)
        let flagged = report.warnings.filter { $0.check == "person-in-several-households" }
        // The applicant and the two other members, in the three households after the first.
        #expect(Set(flagged.compactMap(\.record)) == [2, 3, 4])
        #expect(flagged.allSatisfy { $0.message.contains("MSA ****410") })
    }
}
