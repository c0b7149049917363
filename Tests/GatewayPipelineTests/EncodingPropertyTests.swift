import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayTestSupport
import Testing

/// Every good sample of every flow, re-encoded wrongly (UTF-8 under a single-byte declaration, Windows-1252 or
/// Latin-1 under UTF-8, a byte order mark added, a few lines only): the gateway either reads every record as the
/// original gives it, with an `encoding-mismatch` anomaly when the bytes contradicted the declaration, or refuses
/// the file naming a line. It never yields a C1 control, a replacement character or an « Ã » pair.
@Suite("Encodings: every sample re-encoded wrongly is read right or refused, never garbled")
struct EncodingPropertyTests {
    static let flows = try! MappingLoader.loadAll(directory: Repo.mappings.path)

    /// Sample folders and their flow.
    static let folders = [
        "cnaf": "caf-beneficiaires", "ft-inscriptions": "ft-inscriptions", "job-posts": "job-posts",
        "jobconnexion-cv": "jobconnexion-cv", "operator-followup": "operator-followup",
        "sourcing-feedback": "sourcing-feedback",
    ]

    struct Sample: Sendable, CustomTestStringConvertible {
        var folder: String
        var file: String
        var testDescription: String { "\(folder)/\(file)" }
    }

    static let samples: [Sample] = folders.keys.sorted().flatMap { folder in
        let directory = Repo.root.appendingPathComponent("Samples/" + folder).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".xml") || $0.hasSuffix(".csv") || $0.hasSuffix(".json") }.sorted()
            .map { Sample(folder: folder, file: $0) }
    }

    /// The ways a partner's tool re-encodes a file.
    enum Spoil: CaseIterable {
        case utf8, utf8WithBOM, windows1252, latin1, someLinesUTF8, utf16WithBOM
    }

    /// The text of a sample, decoded as it really is (UTF-8, else Windows-1252).
    static func text(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return String(data: data, encoding: .utf8) ?? String(data: data, encoding: .windowsCP1252)!
    }

    static func bytes(_ text: String, _ spoil: Spoil) -> Data? {
        switch spoil {
        case .utf8: return Data(text.utf8)
        case .utf8WithBOM: return Data([0xEF, 0xBB, 0xBF] + Array(text.utf8))
        case .windows1252: return text.data(using: .windowsCP1252)
        case .latin1: return text.data(using: .isoLatin1)
        case .utf16WithBOM: return Data([0xFF, 0xFE]) + text.data(using: .utf16LittleEndian)!
        case .someLinesUTF8:
            // Every third line in UTF-8, the others in Windows-1252.
            var out = Data()
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                if index > 0 { out.append(0x0A) }
                guard let single = line.data(using: .windowsCP1252) else { return nil }
                out.append(index % 3 == 1 ? Data(line.utf8) : single)
            }
            return out
        }
    }

    /// Every text of every record read, and the file's outcome.
    static func read(_ flow: FlowMapping, _ path: String) -> (texts: [String], report: ValidationReport) {
        var texts: [String] = []
        let report = FilePipeline(flow: flow, logger: silentLogger).validate(path: path)
        _ = try? RecordStream(flow: flow).read(
            path, header: { _ in },
            record: { outcome in
                switch outcome {
                case .household(let household, _, _, _): texts.append(String(describing: household))
                case .partner(let record, _, _, _): texts.append(String(describing: record))
                default: break
                }
            })
        return (texts, report)
    }

    static func garbled(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0xFFFD } || text.contains("Ã")
    }

    @Test("re-encoded samples", arguments: samples)
    func reencoded(_ sample: Sample) throws {
        let flow = try #require(Self.flows[Self.folders[sample.folder]!])
        let original = Repo.root.appendingPathComponent("Samples/\(sample.folder)/\(sample.file)").path
        let expected = Self.read(flow, original)
        #expect(!expected.texts.contains(where: Self.garbled))
        let text = try Self.text(original)
        let directory = try TempDirectory()
        for spoil in Spoil.allCases {
            guard let data = Self.bytes(text, spoil) else { continue }
            let path = directory.path("\(spoil)-" + sample.file)
            try data.write(to: URL(fileURLWithPath: path))
            let (texts, report) = Self.read(flow, path)
            if report.readable {
                #expect(report.accepted == expected.report.accepted, "\(spoil): \(report.errors.map(\.message))")
                #expect(texts == expected.texts, "\(spoil)")
                for text in texts { #expect(!Self.garbled(text), "\(spoil): \(text)") }
            } else {
                // Refused: the message names a line (or says what the file is), nothing was accepted.
                let error = try #require(report.errors.first)
                #expect(error.line != nil || error.message.contains("encod"), "\(spoil): \(error.message)")
            }
        }
    }
}
