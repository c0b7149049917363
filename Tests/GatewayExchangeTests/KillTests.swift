import Foundation
import GatewayCore
import GatewayTestSupport
import Testing

/// Builds a CNAF file of `count` households from the September sample's first household, with matricules from
/// `first` on.
func makeCNAF(households count: Int, first: Int, at path: String) throws {
    let sample = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("cnaf/caf-67-2026-09.xml")))
    let text = String(decoding: sample.map { $0 < 0x80 ? $0 : UInt8(ascii: "e") }, as: UTF8.self)
    guard let start = text.range(of: "<InfosFoyerRSA>"), let end = text.range(of: "</InfosFoyerRSA>"),
        let trailer = text.range(of: "<TransmissionFlux>")
    else { throw TestFailure("sample layout") }
    let head = String(text[..<start.lowerBound]).replacingOccurrences(of: "windows-1252", with: "UTF-8")
    let block = String(text[start.lowerBound..<end.upperBound])
    let matricule = block.range(of: "<MATRICULE>")!.upperBound..<block.range(of: "</MATRICULE>")!.lowerBound
    var body = head
    for index in 0..<count {
        let household =
            String(block[..<matricule.lowerBound]) + String(first + index) + String(block[matricule.upperBound...])
        body += withOwnNIRs(household, number: first + index) + "\n"
    }
    body += String(text[trailer.lowerBound...]).replacingOccurrences(
        of: #"<NBTOTDOSRSATRANSM>\d+</NBTOTDOSRSATRANSM>"#, with: "<NBTOTDOSRSATRANSM>\(count)</NBTOTDOSRSATRANSM>",
        options: .regularExpression)
    try body.write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("insertion-gateway run as a process: killed at random and run again, two at once", .serialized)
struct KillTests {
    let cli = Repo.cli

    /// A batch on the SFTP server, a gateway.yaml over it, and the exports a store ends with.
    struct Batch {
        let server: SFTPServer
        let batch: TempDirectory
        let notices: String

        init(server: SFTPServer) throws {
            self.server = server
            batch = try TempDirectory()
            notices = batch.path("notices")
            for (index, size) in [2_500, 2_500, 2_500, 2_500].enumerated() {
                try makeCNAF(households: size, first: 3_000_000 + index * 10_000, at: batch.path("lot-\(index).xml"))
            }
            for name in [
                "caf-67-2026-09.xml", "caf-67-2026-10.xml", "msa-67-2026-09.xml", "bad/wrong-nir-key.xml",
                "bad/undefined-byte.xml",
            ] {
                try FileManager.default.copyItem(
                    atPath: Repo.sample("cnaf/" + name), toPath: batch.path((name as NSString).lastPathComponent))
            }
        }

        /// The partner's folder as it was before any run.
        func reset() throws {
            let inbox = try server.local("in")
            try FileManager.default.removeItem(atPath: inbox)
            try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: notices)
            for name in files(in: batch.path) where name.hasSuffix(".xml") {
                try FileManager.default.copyItem(atPath: batch.path(name), toPath: inbox + "/" + name)
            }
        }

        func config(in directory: TempDirectory, store: String? = nil) throws -> String {
            let path = directory.path("gateway.yaml")
            try write(
                """
                store: \(store ?? directory.path("g.sqlite"))
                mappings: \(Repo.mappings)
                work: \(directory.path("spool"))
                refused: \(directory.path("refused"))
                exchanges:
                  - id: caf
                    direction: in
                    flow: caf-beneficiaires
                \(server.yaml("in"))
                    pattern: "*.xml"
                    archive: archive
                    errors: errors
                    notices: { transport: folder, location: \(notices) }

                """, to: path)
            return path
        }
    }

    func exports(_ store: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for table in ["households", "people", "status-changes", "quarantine", "partner-records", "links", "files"] {
            let exported = try run(cli, ["export", table, "--quiet", "--store", store, "--format", "csv"])
            #expect(exported.status == 0, "\(exported.err)")
            var text = exported.out
            if table == "files" {
                // Without the reception time (recu_le, column 7), the one thing two runs cannot share.
                text = text.split(whereSeparator: \.isNewline).map { line in
                    var cells = line.split(separator: ";", omittingEmptySubsequences: false)
                    if cells.count > 6 { cells.remove(at: 6) }
                    return cells.joined(separator: ";")
                }.joined(separator: "\n")
            }
            result[table] = text
        }
        return result
    }

    @Test(
        "SIGKILL at random points of a run over a batch, then run again: exactly the store of an uninterrupted run",
        arguments: Backend.available)
    func killedAndRunAgain(backend: Backend) throws {
        let server = try SFTPServer()
        let batch = try Batch(server: server)
        let inbox = try server.local("in")

        try batch.reset()
        let reference = try TempDirectory()
        /// The store of a run: a SQLite file in its folder, or a new PostgreSQL database.
        func store(in directory: TempDirectory) throws -> String {
            backend == .sqlite ? directory.path("g.sqlite") : try Backend.newDatabase()
        }
        let referenceStore = try store(in: reference)
        let started = Date()
        let whole = try run(
            cli,
            ["run", "--quiet", "--config", try batch.config(in: reference, store: referenceStore), "--only", "caf"])
        let duration = Date().timeIntervalSince(started)
        #expect(whole.status == 0, "\(whole.out) \(whole.err)")
        let expected = try exports(referenceStore)
        #expect(
            expected["files"]?.split(whereSeparator: \.isNewline).count == 10, "9 files and the header, \(duration) s")
        let expectedArchive = files(in: inbox + "/archive")
        let expectedErrors = files(in: inbox + "/errors")
        let expectedNotices = files(in: batch.notices)
        #expect(expectedArchive.count == 8 && expectedErrors == ["undefined-byte.xml"])
        #expect(expectedNotices.count == 2)

        var generator = SplitMix64(state: 20_261_123)
        // Two rounds on PostgreSQL, whose import (a round trip per statement) makes each run slower.
        for iteration in 0..<(backend == .sqlite ? 4 : 2) {
            try batch.reset()
            let directory = try TempDirectory()
            let runStore = try store(in: directory)
            let config = try batch.config(in: directory, store: runStore)
            var kills: [Int] = []
            // One or two kills, each at a random moment of what a whole run takes.
            for _ in 0..<(iteration % 2 + 1) {
                let delay = Int.random(in: 50...max(100, Int(duration * 1000)), using: &generator)
                let pid = try spawn(
                    cli, ["run", "--quiet", "--config", config, "--only", "caf"], out: directory.path("out"),
                    err: directory.path("err"))
                usleep(UInt32(delay) * 1000)
                kill(pid, SIGKILL)
                let status = waitFor(pid)
                kills.append(status == 137 ? delay : -delay)
            }
            let again = try run(cli, ["run", "--quiet", "--config", config, "--only", "caf"])
            #expect(again.status == 0, "iteration \(iteration), kills \(kills): \(again.out) \(again.err)")
            let got = try exports(runStore)
            for (table, text) in expected {
                #expect(got[table] == text, "iteration \(iteration), kills at \(kills) ms: \(table) differs")
            }
            #expect(files(in: inbox) == ["archive", "errors"], "iteration \(iteration): \(files(in: inbox))")
            #expect(files(in: inbox + "/errors") == expectedErrors)
            #expect(Set(files(in: inbox + "/archive")) == Set(expectedArchive), "\(files(in: inbox + "/archive"))")
            #expect(files(in: batch.notices) == expectedNotices, "a notice sent twice?")
            let journal = try run(cli, ["journal", "--quiet", "--store", runStore])
            #expect(journal.status == 0)
        }
    }

    @Test(
        "Two gateways on one store at once: every file taken by one of them, imported once",
        arguments: Backend.available)
    func twoGateways(backend: Backend) throws {
        let server = try SFTPServer()
        let batch = try Batch(server: server)
        try batch.reset()
        let directory = try TempDirectory()
        let store = backend == .sqlite ? directory.path("g.sqlite") : try Backend.newDatabase()
        let config = try batch.config(in: directory, store: store)
        let first = try spawn(
            cli, ["run", "--quiet", "--config", config, "--only", "caf"], out: directory.path("1.out"),
            err: directory.path("1.err"))
        let second = try spawn(
            cli, ["run", "--quiet", "--config", config, "--only", "caf"], out: directory.path("2.out"),
            err: directory.path("2.err"))
        let statuses = [waitFor(first), waitFor(second)]
        let outputs = try ["1.out", "2.out", "1.err", "2.err"].map {
            try String(contentsOfFile: directory.path($0), encoding: .utf8)
        }
        #expect(statuses == [0, 0], "\(outputs)")
        let journal = try run(cli, ["journal", "--json", "--quiet", "--store", store])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(journal.out.utf8)) as? [[String: Any]])
        #expect(runs.count == 2)
        let taken = runs.flatMap { ($0["transfers"] as? [[String: Any]]) ?? [] }
            .filter { ["applied", "rejected", "unreadable"].contains($0["outcome"] as? String) }
            .compactMap { $0["name"] as? String }
        #expect(taken.sorted() == files(in: batch.batch.path).filter { $0.hasSuffix(".xml") }, "\(outputs)")
        let ledger = try run(cli, ["export", "files", "--quiet", "--store", store])
        #expect(ledger.out.split(whereSeparator: \.isNewline).count == 10)
        #expect(files(in: try server.local("in")) == ["archive", "errors"])
    }

    @Test(
        "serve: the API answers during an import, /health names the exchange running; SIGTERM finishes the file in hand, then stops"
    )
    func serveStopsGracefully() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("in")
        for index in 0..<3 {
            try makeCNAF(households: 3_000, first: 6_000_000 + index * 10_000, at: inbox + "/lot-\(index).xml")
        }
        let config = directory.path("gateway.yaml")
        try write(
            """
            store: \(directory.path("g.sqlite"))
            mappings: \(Repo.mappings)
            work: \(directory.path("spool"))
            exchanges:
              - id: lots
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
                archive: archive

            """, to: config)
        let pid = try spawn(
            cli, ["serve", "--config", config, "--tick", "1", "--listen", "127.0.0.1:0"], out: directory.path("out"),
            err: directory.path("err"))
        // Wait until the first file is downloaded to the spool (its import under way), then ask the service to stop.
        let store = directory.path("g.sqlite")
        let spool = directory.path("spool")
        let deadline = Date().addingTimeInterval(60)
        var claimed = false
        while Date() < deadline && !claimed {
            usleep(20_000)
            let found = FileManager.default.enumerator(atPath: spool)?.allObjects as? [String] ?? []
            claimed = found.contains { $0.hasSuffix("/lot-0.xml") }
        }
        #expect(claimed)
        // The API of the same process answers while the import runs, and says which exchange runs.
        let announced = (try? String(contentsOfFile: directory.path("out"), encoding: .utf8)) ?? ""
        let port = announced.split(separator: "\n").first { $0.hasPrefix("API à l'écoute sur http://127.0.0.1:") }
            .flatMap { $0.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        #expect(port != nil, "\(announced)")
        if let port {
            let health = try run("/usr/bin/curl", ["-s", "--max-time", "10", "http://127.0.0.1:\(port)/health"])
            #expect(health.out.contains(#""alive":true"#) && health.out.contains(#""running":["lots"]"#), "\(health)")
        }
        kill(pid, SIGTERM)
        let status = waitFor(pid)
        let output = (try? String(contentsOfFile: directory.path("out"), encoding: .utf8)) ?? ""
        #expect(status == 0, "\(output)")
        #expect(output.contains("Service arrêté"))
        // The file in hand was finished (imported, archived), and at least one was left for the next run.
        let archived = files(in: inbox + "/archive")
        let left = files(in: inbox).filter { $0.hasSuffix(".xml") }
        #expect(!archived.isEmpty && !left.isEmpty, "archived \(archived), left \(left)")
        let ledger = try run(cli, ["export", "files", "--quiet", "--store", store])
        #expect(ledger.out.split(whereSeparator: \.isNewline).count == archived.count + 1)
    }
}
