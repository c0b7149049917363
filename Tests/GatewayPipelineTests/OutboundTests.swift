import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// The main job's sequence on the samples, then every emitter; the files written are compared with golden files
/// (`Golden/`, rewritten with `UPDATE_GOLDEN=1 swift test --filter Outbound`) and scanned for personal data.
@Suite("Outbound: candidates, alerts, rejection notices")
struct OutboundTests {
    static let root = Repo.root.appendingPathComponent("Samples")
    static let golden = Repo.root.appendingPathComponent("Tests/GatewayPipelineTests/Golden")
    static let day = LocalDate(iso: "2026-11-02")!

    /// The samples imported as `scripts/run.sh` does, the proposals made, the feedback imported.
    static func prepared(_ backend: Backend) throws -> (GatewayStore, Outbound, TempDirectory) {
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        let store = try backend.store()
        func load(_ flow: String, _ files: [String]) throws {
            let pipeline = FilePipeline(flow: try #require(flows[flow]), logger: silentLogger)
            for file in files {
                let report = try pipeline.importFile(path: root.appendingPathComponent(file).path, ledger: store.ledger)
                guard report.outcome == .applied else { throw TestFailure("\(file): \(report.outcome)") }
            }
        }
        try load("caf-beneficiaires", ["cnaf/caf-67-2026-09.xml", "cnaf/msa-67-2026-09.xml"])
        try load(
            "ft-inscriptions",
            [
                "ft-inscriptions/pe-cg-cessations-2026-09.csv", "ft-inscriptions/pe-cg-inscriptions-2026-09.csv",
                "ft-inscriptions/pe-cg-radiations-2026-09.csv", "ft-inscriptions/pe-cg-stock-2026-09.csv",
                "ft-inscriptions/extraction-rsa-ft-2026-09-30.csv", "ft-inscriptions/fichier-PE-CG-67-2026-09.xml",
            ])
        try load(
            "jobconnexion-cv",
            [
                "jobconnexion-cv/jobconnexion-profils-2026-10-01.csv",
                "jobconnexion-cv/jobconnexion-profils-2026-10-15.json",
            ])
        try load("job-posts", ["job-posts/offres-67-68-2026-09.json", "job-posts/offres-67-68-2026-10.csv"])
        try load(
            "operator-followup",
            [
                "operator-followup/suivi-operateurs-2026-09.csv", "operator-followup/suivi-operateurs-2026-10.json",
                "operator-followup/suivi-operateurs-2026-11.csv",
            ])
        try load("caf-beneficiaires", ["cnaf/caf-67-2026-10.xml"])
        return (store, Outbound(flows: flows, store: store), try TempDirectory())
    }

    static func check(_ path: String, golden name: String) throws {
        let produced = try #require(FileManager.default.contents(atPath: path))
        let goldenPath = golden.appendingPathComponent(name).path
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try produced.write(to: URL(fileURLWithPath: goldenPath))
        }
        let expected = try #require(FileManager.default.contents(atPath: goldenPath), "golden file \(name) missing")
        #expect(
            produced == expected,
            "\(name) differs from its golden file:\n\(String(decoding: produced, as: UTF8.self))")
    }

    /// Every NIR, birth date and surname of the samples' people: none may reach an employer team or an operator.
    static func personalValues() throws -> [String] {
        var values: [String] = []
        for file in ["caf-67-2026-09.xml", "caf-67-2026-10.xml", "msa-67-2026-09.xml"] {
            let data = try #require(FileManager.default.contents(atPath: Repo.sample(file)))
            let text = String(decoding: data, as: UTF8.self)
            for tag in ["NIR", "NOM", "NOMNAI", "DTNAI", "NOMVOIE"] {
                var rest = text[...]
                while let open = rest.range(of: "<\(tag)>"), let close = rest.range(of: "</\(tag)>") {
                    guard open.upperBound <= close.lowerBound else { break }
                    let value = String(rest[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
                    if value.count >= 4, value.allSatisfy({ $0.isASCII }) { values.append(value) }
                    rest = rest[close.upperBound...]
                }
            }
        }
        return values
    }

    static func scan(_ path: String, against personal: [String]) throws {
        let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
        for value in personal where value.count >= 4 {
            #expect(!text.contains(value), "\(path) contains a personal value (\(Masking.text(value)))")
        }
        // Nothing shaped like a NIR (13 or 15 characters of digits, 2A/2B), nor like an amount in euros.
        let tokens = text.split { !$0.isLetter && !$0.isNumber && $0 != "." && $0 != "," }
        for token in tokens {
            #expect(!Masking.looksLikeNIR(String(token)), "\(path): NIR-like value")
            // `123.45` or `123,45`: digits, one separator, two decimals.
            let parts = token.split(omittingEmptySubsequences: false) { $0 == "." || $0 == "," }
            let isAmount =
                parts.count == 2 && parts[1].count == 2 && !parts[0].isEmpty
                && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
            #expect(!isAmount, "\(path): amount-like value \(token)")
        }
    }

    @Test(
        "Candidates go to the post's team, ranked, minimised; golden files for CSV, JSON and XML",
        arguments: Backend.available)
    func sourcing(backend: Backend) throws {
        let (store, outbound, temp) = try Self.prepared(backend)
        let personal = try Self.personalValues()
        let bas = try outbound.source(postID: "DE67-2026-0412", format: .csv, directory: temp.url.path, on: Self.day)
        #expect(bas.partner == "developpeurs-emploi" && bas.records == 2)
        try Self.check(bas.path, golden: "candidats-DE67-2026-0412.csv")
        let haut = try outbound.source(postID: "CRE68-2026-0087", format: .json, directory: temp.url.path, on: Self.day)
        #expect(haut.partner == "conseillers-relais-entreprises" && haut.records == 1)
        try Self.check(haut.path, golden: "candidats-CRE68-2026-0087.json")
        let xml = try outbound.source(postID: "DE67-2026-0412", format: .xml, directory: temp.url.path, on: Self.day)
        try Self.check(xml.path, golden: "candidats-DE67-2026-0412.xml")
        for file in [bas, haut, xml] { try Self.scan(file.path, against: personal) }
        // The employer teams' own mapping reads the files back (CSV and JSON): what was sent is what they get.
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        for (file, id) in [(bas.path, "de-candidates"), (haut.path, "cre-candidates"), (xml.path, "de-candidates")] {
            let layout = try #require(flows[id]).resolve(forFile: file)
            #expect(layout.record.entity.name == "candidate")
        }
        // The feedback now refers to proposals the gateway made: it imports without quarantine.
        let feedback = try FilePipeline(flow: try #require(flows["sourcing-feedback"]), logger: silentLogger)
            .importFile(
                path: Self.root.appendingPathComponent("sourcing-feedback/retours-equipes-entreprises-2026-11-10.csv")
                    .path, ledger: store.ledger)
        #expect(feedback.accepted == 3 && feedback.quarantined == 0)
        // Feedback about a proposal never sent is quarantined.
        let unknown = try FilePipeline(flow: try #require(flows["sourcing-feedback"]), logger: silentLogger)
            .importFile(
                path: Self.root.appendingPathComponent("sourcing-feedback/retours-equipes-entreprises-2026-10.csv")
                    .path, ledger: store.ledger)
        #expect(unknown.quarantined == 4 && unknown.errors.allSatisfy { $0.field == "proposalID" })
        // An unknown post is an error, not an empty file.
        #expect(throws: Outbound.OutboundError.self) {
            try outbound.source(postID: "NOPE", format: .csv, directory: temp.url.path, on: Self.day)
        }
    }

    @Test(
        "One alert file per operator: right closed or suspended, payment suspended, moved out, radiation",
        arguments: Backend.available)
    func alerts(backend: Backend) throws {
        let (_, outbound, temp) = try Self.prepared(backend)
        let written = try outbound.alerts(directory: temp.url.path, on: Self.day)
        #expect(written.map(\.partner) == ["OP67-SOCIOPRO", "OP68-COACHING"])
        for file in written {
            try Self.check(file.path, golden: "alertes-\(file.partner).csv")
            try Self.scan(file.path, against: try Self.personalValues())
        }
    }

    @Test(
        "The rejection notice: one line per error, in French, in the partner's encoding and delimiter",
        arguments: Backend.available)
    func notices(backend: Backend) throws {
        let (store, outbound, temp) = try Self.prepared(backend)
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        // A France Travail file with errors: the notice is in Latin-1 with `;`, like the partner's own files.
        let bad = Self.root.appendingPathComponent("ft-inscriptions/bad").path
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: bad).sorted().first { $0.contains("shifted-columns") })
        let report = try FilePipeline(flow: try #require(flows["ft-inscriptions"]), logger: silentLogger)
            .importFile(path: bad + "/" + name, ledger: store.ledger)
        #expect(report.quarantined > 0)
        let notice = try outbound.notice(fileID: try #require(report.fileID), directory: temp.url.path)
        #expect(notice.partner == "france-travail" && notice.records == report.errors.count)
        let bytes = try #require(FileManager.default.contents(atPath: notice.path))
        #expect(!bytes.starts(with: [0xEF, 0xBB, 0xBF]), "Latin-1: no BOM")
        let text = try #require(String(data: bytes, encoding: .isoLatin1))
        #expect(text.hasPrefix("fichier;enregistrement;ligne;colonne;champ;type_erreur;valeur;erreur;correction"))
        #expect(text.contains("colonnes décalées"))
        try Self.check(notice.path, golden: "rejets-ft-shifted-columns.csv")
        try Self.scan(notice.path, against: try Self.personalValues())
    }
}
