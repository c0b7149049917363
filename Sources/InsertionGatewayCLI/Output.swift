import Foundation
import GatewayCore
import GatewayFormats
import GatewayPipeline

/// Writing to standard output and standard error.
enum Output {
    static func line(_ text: String) {
        write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        write(Data((text + "\n").utf8), to: STDERR_FILENO)
    }

    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        write(try encoder.encode(value) + Data("\n".utf8))
    }

    /// Writes to standard output (or `descriptor`). A reader that closed the pipe (`| head -1`) has all it wants:
    /// the command ends there, with success. (FileHandle's `write(_:)` would trap on the error.)
    static func write(_ data: Data, to descriptor: Int32 = STDOUT_FILENO) {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { exit(0) }
                    return
                }
                offset += written
            }
        }
    }

    /// Prints errors, located, at most `limit`, then how many more there are.
    static func issues(_ issues: [ReportedIssue], notShown: Int, limit: Int = 50) {
        list(issues, notShown: notShown, limit: limit, tag: { "[\($0.type)]" }, more: "erreur(s)", table: "quarantine")
    }

    /// Prints anomalies (records applied, with what the plausibility checks found), as `issues` prints errors.
    static func anomalies(_ anomalies: [ReportedIssue], notShown: Int, limit: Int = 20) {
        list(
            anomalies, notShown: notShown, limit: limit, tag: { "anomalie [\($0.check ?? $0.type)]" },
            more: "anomalie(s)", table: "anomalies")
    }

    private static func list(
        _ issues: [ReportedIssue], notShown: Int, limit: Int, tag: (ReportedIssue) -> String, more: String,
        table: String
    ) {
        for issue in issues.prefix(limit) {
            var place = issue.line.map { "ligne \($0)" } ?? "fichier"
            if let path = issue.path { place += " (\(path))" }
            line("  \(tag(issue)) \(place) : \(issue.message)")
        }
        let hidden = max(0, issues.count - limit) + notShown
        if hidden > 0 {
            line("  … et \(hidden) autre(s) \(more) (--json pour la liste, export \(table) pour tout).")
        }
    }
}

/// Streams a JSON array of flat objects, one per line, without holding the rows.
final class JSONArraySink {
    private let handle: FileHandle
    private var buffer = Data()
    private var first = true

    init(path: String?) throws {
        if let path {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw GatewayCLIError("Impossible d'écrire \(path)")
            }
            self.handle = handle
        } else {
            self.handle = FileHandle.standardOutput
        }
        buffer.append(contentsOf: Array("[".utf8))
    }

    func write(object: [(String, String)]) throws {
        var text = first ? "\n{" : ",\n{"
        first = false
        for (index, (key, value)) in object.enumerated() {
            if index > 0 { text += "," }
            text += Self.quote(key) + ":" + Self.quote(value)
        }
        text += "}"
        buffer.append(contentsOf: Array(text.utf8))
        if buffer.count > 1 << 16 {
            emit()
        }
    }

    func finish() throws {
        buffer.append(contentsOf: Array("\n]\n".utf8))
        emit()
    }

    private func emit() {
        if handle === FileHandle.standardOutput {
            Output.write(buffer)
        } else {
            handle.write(buffer)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    static func quote(_ text: String) -> String { JSONValue.quoted(text) }
}

/// The nearest of some names to what a user typed, to suggest it in an error.
enum Suggestion {
    /// The name within a small edit distance of `typed` (a third of its length, at least 2), nearest first.
    static func nearest(to typed: String, in names: [String]) -> String? {
        let limit = max(2, typed.count / 3)
        let ranked = names.map { ($0, distance(typed, $0)) }.filter { $0.1 <= limit }
        return ranked.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance between two strings, by characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
