import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// One huge cell gives a bounded error, a bounded quarantine row and a bounded log, never megabytes of each.
@Suite("Bounded sizes")
struct BoundedSizeTests {
    static let flows = try! MappingLoader.loadAll(directory: Repo.mappings.path)

    @Test("a text longer than its field's bound is a constraint-error; the store keeps an excerpt")
    func hugeCell() throws {
        let directory = try TempDirectory()
        let path = directory.path("pe-cg-stock-2026-09.csv")
        let sample = try String(
            contentsOfFile: Repo.root.appendingPathComponent("Samples/ft-inscriptions/pe-cg-stock-2026-09.csv").path,
            encoding: .isoLatin1)
        let huge = String(repeating: "rue très longue ", count: 200_000)  // 3.2 MB
        let spoilt = sample.replacingOccurrences(of: "14 route de Lyon", with: huge)
        try spoilt.data(using: .isoLatin1)!.write(to: URL(fileURLWithPath: path))
        let flow = try #require(Self.flows["ft-inscriptions"])
        let pipeline = FilePipeline(flow: flow, logger: silentLogger)
        let report = pipeline.validate(path: path)
        #expect(report.rejected == 1 && report.accepted == 3)
        let issue = try #require(report.errors.first)
        #expect(issue.type == "constraint-error" && issue.message.contains("trop longue"))
        #expect(issue.message.count < 400 && (issue.value?.count ?? 0) <= 61)
        let store = try GatewayStore()
        let imported = try pipeline.importFile(path: path, ledger: store.ledger)
        #expect(imported.quarantined == 1)
        var rows: [[String]] = []
        try store.export(.quarantine) { rows.append($0) }
        let raw = try #require(rows.last?[6])
        #expect(raw.utf8.count < ImportSession.maxRawBytes + 100 && raw.contains("tronqué"))
        #expect((rows.last?[5].utf8.count ?? 0) < 2_000)
    }

    @Test("a mapping sets a field's bound with max-length; a bad one is refused when it is loaded")
    func mappingBound() throws {
        let text = try String(
            contentsOfFile: Repo.mappings.appendingPathComponent("ft-inscriptions-csv.yaml").path, encoding: .utf8)
        let loaded = try MappingLoader.load(yaml: text)
        #expect(loaded.record.fields.first { $0.spec.name == "locality" }?.spec.maxLength == 1_000)
        let lines = text.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("locality:") })
        var changed = lines
        changed[index] = "  locality: { path: localite, max-length: 40 }"
        let bounded = try MappingLoader.load(yaml: changed.joined(separator: "\n"))
        #expect(bounded.record.fields.first { $0.spec.name == "locality" }?.spec.maxLength == 40)
        changed[index] = "  locality: { path: localite, max-length: beaucoup }"
        #expect(throws: MappingError.self) { try MappingLoader.load(yaml: changed.joined(separator: "\n")) }
    }
}
