import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayTestSupport
import Testing

/// Messages say what a file is: empty, not text, UTF-16, another flow's file.
@Suite("What a file is, said before anything else")
struct FileLookTests {
    static let flows = try! MappingLoader.loadAll(directory: Repo.mappings.path)

    func validate(_ flow: String, _ bytes: [UInt8], name: String = "file") throws -> ValidationReport {
        let directory = try TempDirectory()
        let path = directory.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var pipeline = FilePipeline(flow: try #require(Self.flows[flow]), logger: silentLogger)
        let flows = Array(Self.flows.values)
        pipeline.alternatives = { flows }
        return pipeline.validate(path: path)
    }

    @Test(
        "an empty file is « empty » for every flow, blank lines and byte order mark included",
        arguments: ["caf-beneficiaires", "ft-inscriptions", "job-posts", "jobconnexion-cv", "operator-followup"])
    func empty(flow: String) throws {
        for bytes in [[], Array(" \r\n\n".utf8), [0xEF, 0xBB, 0xBF], [0xFF, 0xFE]] as [[UInt8]] {
            let report = try validate(flow, bytes)
            #expect(!report.readable && report.exitCode == 2)
            #expect(report.errors.first?.message.contains("vide") == true, "\(report.errors.map(\.message))")
        }
    }

    @Test(
        "random bytes are « not a text file » for every flow",
        arguments: ["caf-beneficiaires", "ft-inscriptions", "job-posts", "jobconnexion-cv", "operator-followup"])
    func randomBytes(flow: String) throws {
        // A fixed linear congruential sequence: the same bytes every run.
        var state: UInt64 = 42
        let bytes = (0..<600).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let report = try validate(flow, bytes)
        #expect(!report.readable)
        #expect(report.errors.first?.message.contains("n'est pas un fichier texte") == true)
    }

    @Test("UTF-16 without its byte order mark is named as UTF-16")
    func utf16WithoutMark() throws {
        let text = try String(contentsOfFile: Repo.sample("msa-67-2026-09.xml"), encoding: .windowsCP1252)
        let report = try validate("caf-beneficiaires", Array(text.data(using: .utf16LittleEndian)!))
        #expect(report.errors.first?.message.contains("UTF-16") == true, "\(report.errors.map(\.message))")
    }

    @Test("a file of another flow says what it looks like and which flows would take it")
    func otherFlow() throws {
        let csv = try Data(
            contentsOf: Repo.root.appendingPathComponent("Samples/ft-inscriptions/pe-cg-stock-2026-09.csv"))
        let asCNAF = try validate("caf-beneficiaires", Array(csv), name: "pe-cg-stock-2026-09.csv")
        let message = try #require(asCNAF.errors.first?.message)
        #expect(message.contains("ressemble à du CSV") && message.contains("ft-inscriptions"), "\(message)")
        let cnaf = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("caf-67-2026-09.xml")))
        let asFT = try validate("ft-inscriptions", Array(cnaf))
        let other = try #require(asFT.errors.first?.message)
        #expect(other.contains("autre flux") && other.contains("caf-beneficiaires"), "\(other)")
        // Emitters' layouts take nothing in.
        let json = try Data(
            contentsOf: Repo.root.appendingPathComponent("Samples/job-posts/offres-67-68-2026-09.json"))
        let asCNAFJSON = try validate("caf-beneficiaires", Array(json))
        let third = try #require(asCNAFJSON.errors.first?.message)
        #expect(third.contains("job-posts") && !third.contains("candidates"), "\(third)")
    }
}
