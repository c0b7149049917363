import Foundation
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Logging

/// Paths of the repository, the samples and the shared design folder, found from this file.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let samples = root.appendingPathComponent("Samples/cnaf")
    static let mappings = root.appendingPathComponent("Mappings")
    static let xsd = root.deletingLastPathComponent().appendingPathComponent("shared/formats/cnaf/vrsb0801.xsd")

    static func sample(_ name: String) -> String { samples.appendingPathComponent(name).path }

    static func cafFlow() throws -> FlowMapping {
        let flows = try MappingLoader.loadAll(directory: mappings.path)
        guard let flow = flows["caf-beneficiaires"] else { throw TestFailure("caf-beneficiaires mapping missing") }
        return flow
    }

    /// The CLI built beside the test bundle by `swift build` / `swift test`.
    static var cli: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundleDirectory.appendingPathComponent("insertion-gateway"),
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("insertion-gateway"),
            root.appendingPathComponent(".build/debug/insertion-gateway"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return root.appendingPathComponent(".build/debug/insertion-gateway").path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder removed at the end of a test.
final class TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ig-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A logger that drops everything, for pipeline tests.
let silentLogger: Logger = {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// Runs a process to its end and returns its exit code, standard output and standard error.
@discardableResult
func run(_ executable: String, _ arguments: [String], cwd: URL = Repo.root) throws -> (
    status: Int32, out: String, err: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = cwd
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
        process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
    )
}

/// Builds a CNAF file of `count` households by repeating the September sample's households with new matricules.
func makeLargeCNAF(households count: Int, at path: String) throws {
    let sample = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("caf-67-2026-09.xml")))
    let text = String(decoding: sample.map { $0 < 0x80 ? $0 : UInt8(ascii: "e") }, as: UTF8.self)
    guard let first = text.range(of: "<InfosFoyerRSA>"), let trailer = text.range(of: "<TransmissionFlux>"),
        let lastEnd = text.range(of: "</InfosFoyerRSA>", options: .backwards)
    else { throw TestFailure("sample layout") }
    let head = String(text[..<first.lowerBound])
    let block = String(text[first.lowerBound..<text.range(of: "</InfosFoyerRSA>")!.upperBound])
    _ = lastEnd
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    handle.write(Data(head.replacingOccurrences(of: "windows-1252", with: "UTF-8").utf8))
    let matricule = block.range(of: "<MATRICULE>")!.upperBound..<block.range(of: "</MATRICULE>")!.lowerBound
    let before = String(block[..<matricule.lowerBound])
    let after = String(block[matricule.upperBound...])
    var chunk = ""
    for index in 0..<count {
        chunk += "  " + withOwnNIRs(before + String(1_000_000 + index) + after, number: index) + "\n"
        if chunk.utf8.count > 1 << 20 {
            handle.write(Data(chunk.utf8))
            chunk = ""
        }
    }
    chunk += "  " + String(text[trailer.lowerBound...])
    chunk = chunk.replacingOccurrences(
        of: #"<NBTOTDOSRSATRANSM>\d+</NBTOTDOSRSATRANSM>"#, with: "<NBTOTDOSRSATRANSM>\(count)</NBTOTDOSRSATRANSM>",
        options: .regularExpression)
    handle.write(Data(chunk.utf8))
}
