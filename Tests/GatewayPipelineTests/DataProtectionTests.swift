import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// Retention (purge), the right of access (people export), and logs without personal data over a full run.
@Suite("Data protection", .serialized)
struct DataProtectionTests {
    let cli = Repo.cli
    static let samples = Repo.root.appendingPathComponent("Samples")

    /// The sample files of a sourcing and reporting run, in order.
    static let samplesRun: [(String, String)] = [
        ("caf-beneficiaires", "cnaf/caf-67-2026-09.xml"), ("caf-beneficiaires", "cnaf/msa-67-2026-09.xml"),
        ("ft-inscriptions", "ft-inscriptions/pe-cg-inscriptions-2026-09.csv"),
        ("jobconnexion-cv", "jobconnexion-cv/jobconnexion-profils-2026-10-01.csv"),
        ("job-posts", "job-posts/offres-67-68-2026-09.json"),
        ("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv"),
        ("operator-followup", "operator-followup/suivi-operateurs-2026-10.json"),
        ("operator-followup", "operator-followup/suivi-operateurs-2026-11.csv"),
        ("caf-beneficiaires", "cnaf/caf-67-2026-10.xml"),
    ]

    static func importRun(into store: GatewayStore) throws {
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        for (flow, file) in samplesRun {
            _ = try FilePipeline(flow: flows[flow]!, logger: silentLogger).importFile(
                path: samples.appendingPathComponent(file).path, ledger: store.ledger)
        }
    }

    @Test(
        "purge keeps every indicator and CV-deposit count, and erases the people past retention",
        arguments: Backend.available)
    func purgeKeepsIndicators(backend: Backend) throws {
        let store = try backend.store()
        try Self.importRun(into: store)
        let (programmes, _) = try ProgrammeLoader.load(directory: Repo.mappings.path)
        let periods = [("2026-01-01", "2026-12-31"), ("2026-09-01", "2026-10-31"), ("2026-10-01", "2026-11-30")]
        let asOf = LocalDate(iso: "2026-11-02")!
        func indicators() throws -> ([Indicators], CVDepositReport) {
            let cases = try store.partnerRecords.followedCases()
            return (
                periods.map { from, to in
                    Indicators.compute(
                        cases, programmes: programmes, from: LocalDate(iso: from)!, to: LocalDate(iso: to)!)
                }, CVDepositReport.compute(cases, programmes: programmes, asOf: asOf)
            )
        }
        let before = try indicators()
        let peopleBefore = try store.tableCounts()["person"] ?? 0
        let sourcesBefore = try store.tableCounts()["household_source"] ?? 0
        let preview = try store.retention.purgePreview(before: LocalDate(iso: "2026-12-01")!)
        #expect(try indicators() == before, "a dry run changes nothing")
        #expect(before.0.contains { !$0.byFiche.isEmpty } && !before.1.byStructure.isEmpty)
        let counts = try store.retention.purge(before: LocalDate(iso: "2026-12-01")!)
        #expect(counts == preview)
        #expect(counts.accompanimentsAnonymised > 0 && counts.peopleErased > 0 && counts.householdsErased > 0)
        #expect(try indicators() == before, "the indicators count the same after the purge")
        #expect(try store.tableCounts()["person"] == peopleBefore, "rows stay, their identity goes")
        let sourcesAfter = try store.tableCounts()["household_source"] ?? 0
        #expect(sourcesAfter < sourcesBefore, "the records as received (names, addresses) go with the people")
        // The erased people are no longer findable, and their NIRs are gone from the exports.
        var people = ""
        try store.export(.people) { people += $0.joined(separator: ";") + "\n" }
        var records = ""
        try store.export(.partnerRecords) { records += $0.joined(separator: ";") + "\n" }
        var households = ""
        try store.export(.households) { households += $0.joined(separator: ";") + "\n" }
        let erased = people.split(separator: "\n").filter { $0.contains(";;") }.count
        #expect(erased >= counts.peopleErased)
        // Fatima Benali's household (0457812K) is not followed by anyone still in progress.
        #expect(!households.contains("0457812"))
        let again = try store.retention.purge(before: LocalDate(iso: "2026-12-01")!)
        #expect(again.accompanimentsAnonymised == 0 && again.peopleErased == 0, "a second purge has nothing to do")
        _ = records
    }

    @Test("people export: everything about one person (unmasked, right of access), and the access is audited")
    func peopleExport() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        try Self.importRun(into: try GatewayStore(path: store))
        let exported = try run(
            cli,
            ["people", "export", "--quiet", "--store", store, "--purpose", "demande du 2026-11-20", "1840367482123"])
        #expect(exported.status == 0, "\(exported.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(exported.out.utf8)) as? [String: Any])
        for key in ["people", "households", "rights", "statusChanges", "partnerRecords", "files", "accesses"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(exported.out.contains("1840367482123"), "the person's own NIR, in full")
        #expect(((json["partnerRecords"] as? [Any])?.count ?? 0) > 0)
        let audit = try run(cli, ["audit", "--quiet", "--store", store, "--format", "json"])
        #expect(audit.out.contains("people-export") && audit.out.contains("demande du 2026-11-20"))
        #expect(!audit.out.contains("1840367482123"), "the audit log names the person by number")
        let nobody = try run(cli, ["people", "export", "--quiet", "--store", store, "1850567482999"])
        #expect(nobody.status == 1)

        let purge = try run(cli, ["purge", "--quiet", "--json", "--store", store, "--before", "2026-12-01"])
        #expect(purge.status == 0, "\(purge.err)")
        #expect(purge.out.contains("accompanimentsAnonymised"))
        #expect(try run(cli, ["audit", "--quiet", "--store", store]).out.contains("purge"))
    }

    /// Every NIR (and its first 13 characters), surname and address of the samples, CNAF and partners, good and bad.
    static func personalValues() throws -> Set<String> {
        var values = Set(try OutboundTests.personalValues())
        let manager = FileManager.default
        let files = try #require(manager.enumerator(atPath: samples.path)).compactMap { $0 as? String }
        for file in files {
            guard let data = manager.contents(atPath: samples.appendingPathComponent(file).path) else { continue }
            let text = String(decoding: data.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            if file.hasSuffix(".csv") {
                let lines = text.split(whereSeparator: \.isNewline)
                guard let header = lines.first else { continue }
                let delimiter: Character = header.contains(";") ? ";" : ","
                let names = header.split(separator: delimiter, omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
                let wanted = names.indices.filter { ["nir", "nir2", "nom", "adresse"].contains(names[$0]) }
                for line in lines.dropFirst() {
                    let cells = line.split(separator: delimiter, omittingEmptySubsequences: false)
                    for index in wanted where index < cells.count {
                        values.insert(cells[index].trimmingCharacters(in: CharacterSet(charactersIn: " \"")))
                    }
                }
            } else if file.hasSuffix(".json"), text.contains("\"personne\"") {
                let regex = try NSRegularExpression(pattern: #""(nir|nom)"\s*:\s*"([^"]+)""#)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 2), in: text) { values.insert(String(text[range])) }
                }
            }
        }
        for value in values where value.count >= 13 && value.allSatisfy({ $0.isNumber || $0 == "A" || $0 == "B" }) {
            values.insert(String(value.prefix(13)))
        }
        return values.filter { $0.count >= 4 && !$0.contains("?") }
    }

    @Test("Logs never carry a full NIR, a name or an address: every flow's samples, good and bad, and every command")
    func fullRunLogs() throws {
        let directory = try TempDirectory()
        let store = directory.path("g.sqlite")
        let out = directory.path("outbox")
        var logs = ""
        func cli(_ arguments: [String]) throws {
            let result = try run(self.cli, arguments + ["--store", store, "--log-level", "trace"])
            logs += result.out + result.err
        }
        for (flow, file) in Self.samplesRun {
            try cli(["import", "--flow", flow, Self.samples.appendingPathComponent(file).path])
        }
        let manager = FileManager.default
        for flow in [
            "cnaf", "ft-inscriptions", "jobconnexion-cv", "job-posts", "operator-followup", "sourcing-feedback",
        ] {
            let id = flow == "cnaf" ? "caf-beneficiaires" : flow
            for name in try manager.contentsOfDirectory(atPath: Self.samples.appendingPathComponent(flow).path).sorted()
            where !name.hasSuffix(".md") && name != "bad" {
                try cli(["import", "--flow", id, Self.samples.appendingPathComponent("\(flow)/\(name)").path])
            }
            for name in try manager.contentsOfDirectory(
                atPath: Self.samples.appendingPathComponent("\(flow)/bad").path
            ).sorted() where !name.hasSuffix(".md") {
                try cli(["import", "--flow", id, Self.samples.appendingPathComponent("\(flow)/bad/\(name)").path])
                try cli(["validate", "--flow", id, Self.samples.appendingPathComponent("\(flow)/bad/\(name)").path])
            }
        }
        try cli(["source", "--out", out, "--date", "2026-11-02", "DE67-2026-0412"])
        try cli(["alerts", "--out", out, "--date", "2026-11-02"])
        for file in 1...30 { try cli(["notice", "--out", out, String(file)]) }
        try cli(["check", "--as-of", "2026-11-02"])
        try cli(["report", "all", "--as-of", "2026-11-02", "--out-dir", directory.path("reports")])
        try cli(["keys", "add", "--partner", "job-connexion", "--scope", "flow:jobconnexion-cv:in"])
        try cli(["people", "export", "--out", directory.path("person.json"), "1840367482123"])
        try cli(["purge", "--before", "2026-12-01"])
        try cli(["audit"])
        #expect(logs.contains("file applied") && logs.contains("record quarantined"), "the logs were read")
        let secrets = try Self.personalValues()
        #expect(secrets.count > 60)
        for secret in secrets {
            #expect(!logs.contains(secret), "the logs carry a personal value (\(Masking.text(secret)))")
        }
    }
}
