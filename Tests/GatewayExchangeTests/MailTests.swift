import Foundation
import GatewayCore
import GatewayExchange
import GatewayStore
import GatewayTransport
import Testing

@Suite("Mail to the people who must act: templates, outbox, a real SMTP server with TLS", .serialized)
struct MailTests {
    /// The samples' operators, each with its référents' address.
    static let operators = [
        "OP67-SOCIAL", "OP67-SOCIOPRO", "OP38-PER", "OP67-PASSERELLE", "OP68-COACHING",
    ]
    static func address(_ code: String) -> String { "referents-\(code.lowercased())@operateur.test" }

    static let recipients =
        """
            equipe-donnees: [donnees@departement.test]
            developpeurs-emploi: [de67@departement.test]
            conseillers-relais-entreprises: [cre68@departement.test, cre68-bis@departement.test]

        """ + operators.map { "    \($0): \(address($0))" }.joined(separator: "\n")

    /// A gateway with one exchange, `caf`, reading the CNAF files of `inbox`, and `mail` as its mail section.
    static func cafGateway(inbox: String, in directory: TempDirectory, mail: String) throws -> Gateway {
        try Gateway(
            """
              - { id: caf, direction: in, flow: caf-beneficiaires, transport: folder, location: \(inbox), pattern: "*.xml" }
            """, in: directory, extraYAML: mail)
    }

    /// The settings of a `mail:` section alone.
    static func settings(_ mail: String) throws -> MailSettings {
        let exchanges =
            "exchanges:\n  - { id: x, flow: caf-beneficiaires, direction: in, transport: folder, location: /tmp, pattern: a }"
        return try #require(
            try GatewayConfig.parse(yaml: mail + "\n" + exchanges, knownFlows: Set(Repo.flows.keys)).mail)
    }

    @Test("A message: UTF-8 subject as encoded words on folded lines, body in base64, one-line headers")
    func messageBytes() throws {
        let subject = "Passerelle insertion : dépôt des CV sous l'objectif au 02/11/2026 — fiche 5, fiche 9"
        let message = MailMessage(
            from: "passerelle@departement.test", to: ["a@departement.test", "b@departement.test"],
            subject: subject + "\nBcc: intrus@ailleurs.test", body: "Ligne é\nLigne 2\n",
            date: Date(timeIntervalSince1970: 1_800_000_000), messageID: "x@insertion-gateway")
        let text = String(decoding: message.rendered(), as: UTF8.self)
        #expect(text.allSatisfy { $0.isASCII })
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 78 }, "\(lines)")
        // A line break in a subject never starts a header of its own.
        #expect(!lines.contains { $0.hasPrefix("Bcc:") })
        #expect(lines.contains("To: a@departement.test, b@departement.test"))
        #expect(lines.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000"))
        #expect(lines.contains("Auto-Submitted: auto-generated"))
        // The subject's words decode back to the subject.
        let words = text.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: "")
            .components(separatedBy: "=?UTF-8?B?").dropFirst().map { $0.components(separatedBy: "?=")[0] }
        let decoded = words.map { String(decoding: Data(base64Encoded: $0)!, as: UTF8.self) }.joined()
        #expect(decoded == subject + " Bcc: intrus@ailleurs.test")
        let body = text.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
        #expect(String(decoding: Data(base64Encoded: body)!, as: UTF8.self) == "Ligne é\nLigne 2\n")
    }

    @Test("mail: in gateway.yaml: every problem listed, no password in the file, TLS always")
    func configProblems() throws {
        let exchanges = """
            exchanges:
              - { id: cnaf, flow: caf-beneficiaires, direction: in, transport: folder, location: /tmp, pattern: "*.xml" }
            """
        let bad = """
            mail:
              server: http://smtp.departement.test
              password: secret
              from: pas-une-adresse
              recipients: { equipe-donnees: ["a@b.test", "c d@e.test"] }
              api-url: ftp://x
            """
        #expect {
            try GatewayConfig.parse(yaml: bad + "\n" + exchanges, knownFlows: Set(Repo.flows.keys))
        } throws: { error in
            let problems = (error as? ConfigError)?.problems.joined(separator: "\n") ?? ""
            return problems.contains("secret en clair refusé") && problems.contains("smtp://hôte:port (STARTTLS)")
                && problems.contains("from : une adresse") && problems.contains("recipients.equipe-donnees")
                && problems.contains("api-url")
        }
        let good = """
            mail:
              server: smtps://smtp.departement.test:465
              from: passerelle@departement.test
              credentials: { user: passerelle, password-env: SMTP_PASSWORD }
              recipients: { equipe-donnees: donnees@departement.test }
              retries: { attempts: 3, backoff: 1 }
            """
        let config = try GatewayConfig.parse(
            yaml: good + "\n" + exchanges, knownFlows: Set(Repo.flows.keys),
            environment: ["SMTP_PASSWORD": "x"])
        let mail = try #require(config.mail)
        #expect(mail.recipients == ["equipe-donnees": ["donnees@departement.test"]])
        #expect(mail.retries.attempts == 3 && mail.retries.backoff == 1)
        guard case .server(let server) = mail.destination else {
            Issue.record("server expected")
            return
        }
        #expect(server.user == "passerelle" && server.password == .environment("SMTP_PASSWORD"))
    }

    @Test("A template missing or without its subject line is refused at start")
    func templatesChecked() throws {
        let directory = try TempDirectory()
        let folder = try directory.folder("modeles")
        for name in ["alertes-deposees", "candidats-envoyes", "echange-en-echec", "fichier-refuse"] {
            try write("Objet : {{fichier}}\n\nCorps {{nombre}}\n", to: folder + "/\(name).mustache")
        }
        try write("Pas d'objet\n", to: folder + "/avis-de-rejet-envoye.mustache")
        let settings = MailSettings(
            destination: .folder(directory.path("courriels")), from: "p@departement.test",
            recipients: ["equipe-donnees": ["d@departement.test"]], templates: folder)
        #expect {
            _ = try Notifier(settings: settings, mappings: Repo.mappings, environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.contains("depot-cv-sous-objectif.mustache") && text.contains("avis-de-rejet-envoye.mustache")
        }
    }

    @Test(
        "The samples' cycle over SMTP with STARTTLS: operators, teams and data team each get their mail once, naming no one"
    )
    func cycleMails() throws {
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        let cycle = try SampleCycle(extraYAML: smtp.yaml(recipients: Self.recipients))
        for (id, summary) in cycle.runAll() { #expect(summary.outcome == .succeeded, "\(id): \(summary)") }
        let mails = try smtp.received()
        // Over TLS, logged in, from the gateway, marked as automatic.
        for mail in mails {
            #expect(mail.tls && mail.authenticated && mail.mailFrom == "passerelle-insertion@departement.test")
            #expect(mail.headers["Auto-Submitted"] == "auto-generated")
        }
        func received(by address: String) -> [SMTPTestServer.Received] {
            mails.filter { $0.recipients.contains(address) }
        }
        // Each operator with alerts hears of its file, and only of its own.
        let alertFolders = files(in: cycle.outbox("operators"))
        #expect(!alertFolders.isEmpty)
        for code in alertFolders {
            let address = Self.address(code)
            let own = received(by: address)
            #expect(
                own.count == 1 && own.first?.recipients == [address],
                "\(code): \(mails.map { ($0.recipients, $0.subject) })")
            #expect(own.first?.body.contains("alertes-20261102.csv") == true)
            #expect(own.first?.body.contains("https://passerelle.departement.test/v1/partners/\(code)/outbox") == true)
        }
        // The teams hear of the candidates of their posts, one mail per file.
        let de = files(in: cycle.outbox("developpeurs-emploi"))
        let cre = files(in: cycle.outbox("conseillers-relais-entreprises"))
        #expect(received(by: "de67@departement.test").count == de.count && !de.isEmpty)
        #expect(received(by: "cre68@departement.test").count == cre.count && !cre.isEmpty)
        #expect(received(by: "cre68@departement.test").allSatisfy { $0.recipients.count == 2 })
        #expect(received(by: "de67@departement.test").allSatisfy { $0.subject.contains("candidature(s) proposée(s)") })
        // The data team: the CV deposit under target, with the programmes' counts, and the notice sent.
        let team = received(by: "donnees@departement.test")
        let cv = team.filter { $0.subject.contains("dépôt des CV sous l'objectif au 02/11/2026") }
        #expect(cv.count == 1 && cv.first?.body.contains("- fiche 5 : ") == true, "\(team.map { $0.subject })")
        #expect(team.contains { $0.subject.hasPrefix("Passerelle insertion : avis de rejet envoyé à ") })
        // No mail names anyone: no NIR, registration number, name or first name of a person the cycle stored.
        try expectNoPersonalData(mails, store: cycle.store)
        // The journal has the deliveries; the same cycle again sends nothing more.
        let journal = try cycle.store.exchanges.journal(since: nil, exchange: ExchangeRunner.mailJournal)
        #expect(journal.flatMap(\.transfers).filter { $0.outcome == .sent }.count == mails.count)
        _ = cycle.runAll()
        #expect(try smtp.received().count == mails.count)
        #expect(try cycle.store.mail.counts() == [.sent: mails.count])
    }

    @Test("Mail server down: the file is handled all the same, its mail waits, then goes once the server answers")
    func serverDown() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        // A port where nothing listens: the server is down.
        let closed = smtp.yaml(recipients: "    equipe-donnees: donnees@departement.test")
            .replacingOccurrences(of: "127.0.0.1:\(smtp.port)", with: "127.0.0.1:\(try freePort())")
        var gateway = try Self.cafGateway(
            inbox: inbox, in: directory, mail: closed + "\n  retries: { attempts: 5, backoff: 0 }\n")
        try copySample("cnaf/bad/malformed.xml", to: inbox, as: "caf-67-2026-13.xml")
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox)
        let summary = try gateway.run("caf")
        #expect(summary.outcome == .succeeded && summary.applied == 1 && summary.refused == 1, "\(summary)")
        let waiting = try gateway.store.mail.mails(states: nil, limit: 10)
        #expect(waiting.count == 1 && waiting[0].state == .pending && waiting[0].attempts == 1)
        #expect(waiting.first?.lastError?.hasPrefix("unreachable") == true, "\(waiting)")
        #expect(waiting.first?.subject == "Passerelle insertion : fichier refusé (caf-67-2026-13.xml)")
        let failed = try gateway.store.exchanges.journal(since: nil, exchange: ExchangeRunner.mailJournal)
        #expect(failed.map(\.outcome) == [.failed])
        // The server answers again: the next delivery sends it, once.
        let settings = try Self.settings(smtp.yaml(recipients: "    equipe-donnees: donnees@departement.test"))
        gateway.runner.notifier = try Notifier(settings: settings, mappings: Repo.mappings, environment: [:])
        #expect(gateway.runner.deliverMails() == MailDelivery(sent: 1))
        #expect(gateway.runner.deliverMails() == MailDelivery())
        let received = try smtp.received()
        #expect(received.count == 1 && received.first?.body.contains("illisible") == true)
        try expectNoPersonalData(received, store: gateway.store)
    }

    @Test("A file pushed through the API and refused: the data team is mailed once, without personal data")
    func refusedPushMailed() throws {
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let smtp = try SMTPTestServer()
        defer { smtp.stop() }
        var gateway = try Self.cafGateway(
            inbox: inbox, in: directory, mail: smtp.yaml(recipients: "    equipe-donnees: donnees@departement.test"))
        // People in the store, for the scan of the mail.
        try copySample("cnaf/caf-67-2026-09.xml", to: inbox)
        #expect(try gateway.run("caf").applied == 1)
        for _ in 0..<2 {  // told twice (the partner pushed it again): one mail
            gateway.runner.fileRefusedThroughAPI(
                flow: "caf-beneficiaires", partner: "caf-msa", file: "caf-67-2026-13.xml", outcome: .rejected,
                sha256: String(repeating: "a", count: 64))
        }
        #expect(gateway.runner.deliverMails() == MailDelivery(sent: 1))
        let received = try smtp.received()
        #expect(received.count == 1)
        #expect(received.first?.subject == "Passerelle insertion : fichier refusé (caf-67-2026-13.xml)")
        #expect(
            received.first?.body.contains("déposé par l'API sur le flux caf-beneficiaires (partenaire : caf-msa)")
                == true, "\(received)")
        #expect(received.first?.body.contains("non conforme au schéma du partenaire") == true)
        try expectNoPersonalData(received, store: gateway.store)
    }

    @Test("A server that offers no TLS gets no mail: it waits, the reason journaled")
    func noTLSNoMail() throws {
        let smtp = try SMTPTestServer(mode: "plain")
        defer { smtp.stop() }
        let directory = try TempDirectory()
        let inbox = try directory.folder("inbox")
        let gateway = try Self.cafGateway(
            inbox: inbox, in: directory, mail: smtp.yaml(recipients: "    equipe-donnees: donnees@departement.test"))
        try copySample("cnaf/bad/malformed.xml", to: inbox, as: "caf-67-2026-13.xml")
        #expect(try gateway.run("caf").refused == 1)
        #expect(try smtp.received().isEmpty)
        let mail = try #require(try gateway.store.mail.mails(states: nil, limit: 10).first)
        #expect(mail.state == .pending && mail.lastError != nil, "\(mail)")
    }

    @Test("Implicit TLS (smtps://) with login")
    func implicitTLS() throws {
        let smtp = try SMTPTestServer(mode: "implicit")
        defer { smtp.stop() }
        let settings = try Self.settings(
            smtp.yaml(scheme: "smtps", recipients: "    equipe-donnees: donnees@departement.test"))
        let sender = try settings.sender(environment: [:])
        try sender.send(
            MailMessage(
                from: "passerelle-insertion@departement.test", to: ["donnees@departement.test"], subject: "Essai",
                body: "Corps", date: Date(), messageID: "essai@insertion-gateway"))
        let received = try smtp.received()
        #expect(received.count == 1 && received.first?.tls == true && received.first?.body == "Corps", "\(received)")
    }
}

@Suite("The main job over the samples, as scripts/run.sh runs it: mails, metrics file")
struct MainJobTests {
    @Test(
        "run --all --metrics-file: the cycle's mails as .eml files, listed by `mails`; the metrics for a node exporter")
    func mainJob() throws {
        let directory = try TempDirectory()
        for folder in ["Samples", "Mappings"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.path(folder), withDestinationPath: Repo.root.appendingPathComponent(folder).path)
        }
        let metrics = directory.path("insertion-gateway.prom")
        let result = try run(
            Repo.cli,
            [
                "run", "--all", "--date", "2026-11-02", "--quiet", "--config", "Samples/gateway.yaml", "--metrics-file",
                metrics,
            ],
            cwd: directory.path)
        #expect(result.status == 0, "\(result.err)")
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains(#"gateway_exchange_runs_total{exchange="cnaf",outcome="succeeded"} 1"#), "\(text)")
        #expect(text.contains(#"gateway_mails_total{outcome="sent"}"#))
        let eml = files(in: directory.path("data/outbox/courriels"))
        #expect(eml.count >= 5 && eml.allSatisfy { $0.hasSuffix(".eml") }, "\(eml)")
        let listed = try run(
            Repo.cli, ["mails", "--store", "data/gateway.sqlite", "--state", "sent", "--json"], cwd: directory.path)
        #expect(listed.status == 0, "\(listed.err)")
        let mails = try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]] ?? []
        #expect(mails.count == eml.count && mails.allSatisfy { $0["state"] as? String == "sent" })
        let summary = try run(Repo.cli, ["mails", "--store", "data/gateway.sqlite"], cwd: directory.path)
        #expect(summary.out.hasPrefix("Courriels : \(eml.count) envoyé(s), 0 en attente"), "\(summary.out)")
    }
}

/// No mail holds a NIR, a registration number, a name or a first name of the people in `store`.
func expectNoPersonalData(_ mails: [SMTPTestServer.Received], store: GatewayStore) throws {
    var rows: [[String]] = []
    try store.export(.people) { rows.append($0) }
    let header = rows.removeFirst()
    var secrets = Set<String>()
    for row in rows {
        for column in ["nir", "matricule", "nom", "nom_naissance", "prenom"] {
            if let index = header.firstIndex(of: column), row[index].count >= 3 {
                secrets.insert(row[index].lowercased())
            }
        }
    }
    #expect(!secrets.isEmpty)
    for mail in mails {
        let text = (mail.subject + "\n" + mail.body).lowercased()
        let words = Set(text.split { !$0.isLetter && !$0.isNumber }.map(String.init))
        let found = secrets.filter { words.contains($0) || ($0.count >= 7 && text.contains($0)) }
        #expect(found.isEmpty, "\(mail.subject): \(found)")
        // No number as long as a NIR either.
        #expect(text.split { !$0.isNumber }.allSatisfy { $0.count < 13 }, "\(mail.subject)")
    }
}
