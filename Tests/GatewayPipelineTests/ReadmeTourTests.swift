import Foundation
import Testing

/// The README's tour, run as written in a fresh copy of the repository's layout: each command exits as the README
/// says (0, or 1 where its comment says « exit 1 ») and prints no error.
@Suite("The README's tour")
struct ReadmeTourTests {
    /// The tour's command lines, between the README's `tour:begin` and `tour:end` markers, without the fence.
    static func tourLines() throws -> [String] {
        let readme = try String(contentsOf: Repo.root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let begin = readme.range(of: "<!-- tour:begin -->"), let end = readme.range(of: "<!-- tour:end -->")
        else { throw TestFailure("README.md has no tour markers") }
        return readme[begin.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("```") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    @Test("Every command of the tour works on a fresh clone, in order")
    func tour() throws {
        let lines = try Self.tourLines()
        #expect(lines.count >= 8 && lines.count <= 12, "a tour of about ten lines")
        #expect(lines.first?.hasPrefix("swift build") == true, "the tour starts by building the CLI")
        // A fresh clone: the repository's folders the tour reads, and the shared folder beside it.
        let directory = try TempDirectory()
        let clone = URL(fileURLWithPath: directory.path("clone"))
        try FileManager.default.createDirectory(at: clone, withIntermediateDirectories: true)
        for folder in ["Samples", "Mappings"] {
            try FileManager.default.createSymbolicLink(
                at: clone.appendingPathComponent(folder), withDestinationURL: Repo.root.appendingPathComponent(folder))
        }
        try FileManager.default.createSymbolicLink(
            at: URL(fileURLWithPath: directory.path("shared")),
            withDestinationURL: Repo.root.deletingLastPathComponent().appendingPathComponent("shared"))
        // The build line is the test's own build; the binary is the one `swift build` made for the tests.
        var script = "cd \(clone.path)\n"
        for (number, line) in lines.enumerated().dropFirst() {
            let command = line.replacingOccurrences(
                of: #"gw=\S+;"#, with: "gw=\(Repo.cli);", options: .regularExpression)
            script += "\(command)\necho \"@@ \(number) $?\" >&2\n"
        }
        let result = try run("/bin/bash", ["-c", script], cwd: clone)
        let statuses = result.err.split(separator: "\n").filter { $0.hasPrefix("@@ ") }.map {
            $0.split(separator: " ").dropFirst().compactMap { Int32($0) }
        }
        #expect(statuses.count == lines.count - 1, "every line ran: \(result.err)")
        for status in statuses where status.count == 2 {
            let line = lines[Int(status[0])]
            let expected: Int32 = line.contains("(exit 1)") ? 1 : 0
            #expect(status[1] == expected, "\(line)\n\(result.err)")
        }
        let errors = result.err.split(separator: "\n").filter { !$0.hasPrefix("@@ ") }
            .filter { $0.contains("Error") || $0.contains("Erreur") || $0.contains("error:") }
        #expect(errors.isEmpty, "\(errors)")
        #expect(result.out.contains("changement") || result.out.contains("fichier"), "the exports printed rows")
    }
}
