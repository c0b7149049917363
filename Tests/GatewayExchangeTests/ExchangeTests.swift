import Foundation
import GatewayExchange
import GatewayStore
import GatewayTransport
import Synchronization
import Testing

/// A gateway.yaml in a temporary folder, its store, and a runner over it.
struct Gateway {
    let directory: TempDirectory
    let config: GatewayConfig
    let store: GatewayStore
    var runner: ExchangeRunner

    /// `extraYAML`: more of gateway.yaml, at its root (a `mail:` section).
    init(_ exchanges: String, in directory: TempDirectory, extraYAML: String = "") throws {
        self.directory = directory
        let yaml = """
            store: \(directory.path("g.sqlite"))
            work: \(directory.path("spool"))
            refused: \(directory.path("refused"))
            \(extraYAML)
            exchanges:
            \(exchanges)
            """
        config = try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
        store = try GatewayStore(path: directory.path("g.sqlite"))
        runner = ExchangeRunner(config: config, store: store, flows: Repo.flows, logger: silentLogger)
        runner.sleep = { _ in }
        if let mail = config.mail {
            runner.notifier = try Notifier(settings: mail, mappings: Repo.mappings, environment: [:])
        }
    }

    func run(_ id: String) throws -> ExchangeSummary {
        runner.run(try #require(config.exchange(id)))
    }
}

func copySample(_ name: String, to folder: String, as newName: String? = nil) throws {
    let target = folder + "/" + (newName ?? (name as NSString).lastPathComponent)
    try? FileManager.default.removeItem(atPath: target)
    try FileManager.default.copyItem(atPath: Repo.sample(name), toPath: target)
}

@Suite("Exchanges: readiness, archiving, re-delivery, notices, retries, claims", .serialized)
struct ExchangeTests {
    @Test("A file still being written is not taken; once it settles it is imported and archived")
    func growingFile() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        var gateway = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
                readiness: { stable-seconds: 30 }
                archive: archive
            """, in: directory)
        let path = inbox + "/caf-67-2026-09.xml"
        let content = try Data(contentsOf: URL(fileURLWithPath: Repo.sample("cnaf/caf-67-2026-09.xml")))
        try content.prefix(10_000).write(to: URL(fileURLWithPath: path))
        // The partner goes on writing while the gateway waits for the file to settle.
        gateway.runner.sleep = { _ in
            let handle = FileHandle(forWritingAtPath: path)!
            handle.seekToEndOfFile()
            handle.write(content.dropFirst(10_000))
            try? handle.close()
        }
        let first = try gateway.run("caf")
        #expect(first.notReady == 1 && first.applied == 0, "\(first)")
        #expect(try gateway.store.ledger.receivedFiles().isEmpty)
        #expect(files(in: inbox) == ["caf-67-2026-09.xml"])
        gateway.runner.sleep = { _ in }
        let second = try gateway.run("caf")
        #expect(second.applied == 1 && second.outcome == .succeeded, "\(second)")
        #expect(files(in: inbox) == ["archive"])
        #expect(files(in: inbox + "/archive") == ["caf-67-2026-09.xml"])
    }

    @Test("Done-file readiness: taken only with its marker, the marker archived with it")
    func doneFile() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let gateway = try Gateway(
            """
              - id: ft
                direction: in
                flow: ft-inscriptions
                transport: folder
                location: \(inbox)
                pattern: "*.csv"
                readiness: { done-file: "{name}.ok" }
                archive: delete
            """, in: directory)
        try copySample("ft-inscriptions/pe-cg-inscriptions-2026-09.csv", to: inbox)
        #expect(try gateway.run("ft").notReady == 1)
        try write("", to: inbox + "/pe-cg-inscriptions-2026-09.csv.ok")
        let run = try gateway.run("ft")
        #expect(run.applied == 1, "\(run)")
        #expect(files(in: inbox).isEmpty)
    }

    @Test("A re-delivered file is recognised by its hash: nothing changes, it is archived beside the first")
    func redelivered() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let gateway = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
                archive: archive
            """, in: directory)
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox)
        #expect(try gateway.run("caf").applied == 1)
        let counts = try gateway.store.tableCounts()
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox)
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox, as: "renvoi-caf.xml")
        let again = try gateway.run("caf")
        #expect(again.alreadyReceived == 2 && again.applied == 0, "\(again)")
        #expect(try gateway.store.tableCounts() == counts)
        #expect(files(in: inbox) == ["archive"])
        let archived = files(in: inbox + "/archive")
        #expect(archived.count == 3 && archived.contains("renvoi-caf.xml"), "\(archived)")
        let journal = try gateway.store.exchanges.journal(since: nil)
        #expect(journal.last?.transfers.map(\.outcome.rawValue) == ["already-received", "already-received"])
    }

    @Test("A refused file goes to the error folder and its notice to the partner, once")
    func refusedFile() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let notices = directory.path("notices")
        let gateway = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
                archive: archive
                errors: errors
                notices: { transport: folder, location: \(notices) }
            """, in: directory)
        try copySample("cnaf/bad/undefined-byte.xml", to: inbox)
        try copySample("cnaf/bad/wrong-nir-key.xml", to: inbox)
        let run = try gateway.run("caf")
        #expect(run.refused == 1 && run.applied == 1 && run.sent == 2, "\(run)")
        #expect(files(in: inbox + "/errors") == ["undefined-byte.xml"])
        #expect(files(in: inbox + "/archive") == ["wrong-nir-key.xml"])
        #expect(files(in: notices).count == 2)
        // The same files again: recognised, archived again, and no second notice.
        try copySample("cnaf/bad/undefined-byte.xml", to: inbox, as: "undefined-byte-bis.xml")
        let again = try gateway.run("caf")
        #expect(again.alreadyReceived == 1 && again.sent == 0 && again.alreadySent == 1, "\(again)")
        #expect(files(in: notices).count == 2)
    }

    @Test("Outputs: sent once; a remote name holding other content is never overwritten")
    func outbound() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let outbox = directory.path("outbox")
        let gateway = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
              - id: notices
                direction: out
                flow: rejection-notices
                transport: folder
                location: \(outbox)/{partner}
            """, in: directory)
        try copySample("cnaf/bad/wrong-nir-key.xml", to: inbox)
        try copySample("cnaf/bad/duplicate-household.xml", to: inbox)
        _ = try gateway.run("caf")
        let first = try gateway.run("notices")
        #expect(first.sent == 2 && first.failed == 0, "\(first)")
        let partner = try #require(files(in: outbox).first)
        let sent = files(in: outbox + "/" + partner)
        #expect(sent.count == 2)
        // Nothing new: nothing generated, nothing sent.
        #expect(try gateway.run("notices").sent == 0)
        // Generated again (cursor back): recognised by the journal, not sent twice.
        try gateway.store.exchanges.setCursor("notices", 0)
        let again = try gateway.run("notices")
        #expect(again.sent == 0 && again.alreadySent == 2, "\(again)")
        // Lost from the journal (a crash before it was written) but there on the remote side: counted as sent.
        let other = try TempDirectory()
        let forgetful = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
                transport: folder
                location: \(inbox)
                pattern: "*.xml"
              - id: notices
                direction: out
                flow: rejection-notices
                transport: folder
                location: \(outbox)/{partner}
            """, in: other)
        _ = try forgetful.run("caf")
        // The partner's copy of one notice now holds other content: the new one goes under another name.
        try write("modifié\n", to: outbox + "/" + partner + "/" + sent[0])
        let third = try forgetful.run("notices")
        #expect(
            third.sent == 1 && third.failed == 0,
            "\(third) \(String(describing: try? forgetful.store.exchanges.journal(since: nil).map(\.transfers)))")
        let names = files(in: outbox + "/" + partner)
        #expect(names.count == 3, "\(names) \(sent)")
        #expect(try String(contentsOfFile: outbox + "/" + partner + "/" + sent[0], encoding: .utf8) == "modifié\n")
        let journal = try forgetful.store.exchanges.journal(since: nil).last?.transfers.map(\.outcome.rawValue).sorted()
        #expect(journal == ["already-there", "sent"])
    }

    @Test("Claims: two gateways on one store never hold the same file")
    func claims() throws {
        let directory = try TempDirectory()
        let store = try GatewayStore(path: directory.path("g.sqlite"))
        let key = ClaimKey(exchange: "caf", name: "a.xml", size: 10, modified: "1")
        #expect(try store.exchanges.claim(key, owner: "host/1/a", lease: 60, isGone: { _ in false }) == .claimed)
        #expect(
            try store.exchanges.claim(key, owner: "host/2/b", lease: 60, isGone: { _ in false })
                == .heldByOther(owner: "host/1/a"))
        // The holder is gone (killed): taken over at once.
        #expect(try store.exchanges.claim(key, owner: "host/2/b", lease: 60, isGone: { $0 == "host/1/a" }) == .claimed)
        try store.exchanges.finishClaim(key, owner: "host/2/b", sha256: "abc")
        #expect(
            try store.exchanges.claim(key, owner: "host/1/a", lease: 60, isGone: { _ in false }) == .done(sha256: "abc")
        )
        // An ended lease is taken over too.
        let other = ClaimKey(exchange: "caf", name: "b.xml", size: 10, modified: "1")
        #expect(try store.exchanges.claim(other, owner: "host/1/a", lease: -1, isGone: { _ in false }) == .claimed)
        #expect(try store.exchanges.claim(other, owner: "host/2/b", lease: 60, isGone: { _ in false }) == .claimed)
    }

    @Test("SFTP: a server that is down is retried with backoff, the exchange fails, nothing is lost; then it runs")
    func serverDownThenUp() throws {
        let server = try SFTPServer()
        let inbox = try server.local("in")
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox)
        try copySample("cnaf/msa-67-2026-09.xml", to: inbox)
        let directory = try TempDirectory()
        var gateway = try Gateway(
            """
              - id: caf
                direction: in
                flow: caf-beneficiaires
            \(server.yaml("in"))
                pattern: "*.xml"
                archive: archive
                retries: { attempts: 4, backoff: 1.5, max-backoff: 4 }
            """, in: directory)
        let delays = Mutex<[Double]>([])
        gateway.runner.sleep = { delay in delays.withLock { $0.append(delay) } }
        server.stop()
        let down = try gateway.run("caf")
        #expect(down.outcome == .failed && down.attempts == 4, "\(down)")
        #expect(delays.withLock { $0 } == [1.5, 3, 4])
        #expect(files(in: inbox) == ["caf-67-2026-09.xml", "msa-67-2026-09.xml"])
        #expect(try gateway.store.exchanges.journal(since: nil).last?.outcome == .failed)
        try server.start()
        let up = try gateway.run("caf")
        #expect(up.outcome == .succeeded && up.applied == 2, "\(up)")
        #expect(files(in: inbox) == ["archive"])
        #expect(files(in: inbox + "/archive") == ["caf-67-2026-09.xml", "msa-67-2026-09.xml"])
    }

    @Test("HTTPS and FTPS exchanges: files taken and archived, outputs sent")
    func otherTransports() throws {
        let https = try HTTPSServer()
        let ftps = try FTPSServer()
        let directory = try TempDirectory()
        try copySample("cnaf/caf-67-2026-09.xml", to: try https.local("in"))
        try copySample("cnaf/msa-67-2026-09.xml", to: try ftps.local("in"))
        let gateway = try Gateway(
            """
              - id: web
                direction: in
                flow: caf-beneficiaires
                transport: https
                location: \(https.url("in"))
                tls: { ca-file: \(https.certificates.ca) }
                pattern: "*.xml"
                archive: archive
              - id: ftp
                direction: in
                flow: caf-beneficiaires
                transport: ftps
                location: ftp://127.0.0.1:\(ftps.port)/in/
                credentials: { user: gateway, password-file: \(ftps.passwordFile) }
                tls: { ca-file: \(ftps.certificates.ca) }
                pattern: "*.xml"
                archive: delete
              - id: alerts
                direction: out
                flow: operator-alerts
                transport: https
                location: \(https.url("out"))
                tls: { ca-file: \(https.certificates.ca) }
            """, in: directory)
        #expect(try gateway.run("web").applied == 1)
        #expect(files(in: try https.local("in/archive")) == ["caf-67-2026-09.xml"])
        #expect(try gateway.run("ftp").applied == 1)
        #expect(files(in: try ftps.local("in")).isEmpty)
        #expect(try gateway.store.ledger.receivedFiles().count == 2)
    }
}
