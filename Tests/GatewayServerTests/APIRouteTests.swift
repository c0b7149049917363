import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayServer
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@Suite("API routes over the pipeline, store and reports")
struct APIRouteTests {
    static let cvSample = Repo.sample("jobconnexion-cv/jobconnexion-profils-2026-10-15.json")

    @Test("POST files: imported like a folder pickup, then recognised by its hash", arguments: Backend.available)
    func pushFile(backend: Backend) async throws {
        let fixture = try APIFixture(backend: backend)
        try await fixture.app().test(.router) { client in
            let first = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files?name=jobconnexion-profils-2026-10-15.json", method: .post,
                headers: .key(fixture.jobConnexion), body: try fileBody(Self.cvSample))
            #expect(first.status == .created, "\(first.text)")
            let report = try #require(first.json as? [String: Any])
            #expect(report["records"] as? Int == 3 && report["outcome"] as? String == "applied")
            #expect(report["file"] as? String == "jobconnexion-profils-2026-10-15.json")
            #expect(report["partner"] as? String == "job-connexion")
            let again = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files?name=other-name.json", method: .post,
                headers: .key(fixture.jobConnexion), body: try fileBody(Self.cvSample))
            #expect(again.status == .ok)
            #expect((again.json as? [String: Any])?["alreadyReceived"] as? Bool == true)
        }
        let files = try fixture.store.ledger.receivedFiles()
        #expect(files.count == 1 && files[0].partner == "job-connexion" && files[0].name.hasSuffix("10-15.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path("uploads")).isEmpty)
    }

    @Test(
        "POST records: a JSON array in the flow's JSON layout, through the same mapping and checks",
        arguments: Backend.available)
    func pushRecords(backend: Backend) async throws {
        let fixture = try APIFixture(backend: backend)
        let records = """
            [{"idProfil": "JC-API-1", "personne": {"nom": "TEST", "prenom": "Api", "dateNaissance": "1990-01-01"},
              "cv": {"dateDepot": "2026-10-01"}, "statut": "ACTIF", "visibleEmployeurs": true},
             {"idProfil": "JC-API-2", "personne": {"nir": "1840367482999"}, "statut": "PERDU"}]
            """
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/records", method: .post,
                headers: .key(fixture.jobConnexion, contentType: "application/json"), body: ByteBuffer(string: records))
            #expect(response.status == .created, "\(response.text)")
            let report = try #require(response.json as? [String: Any])
            #expect(report["records"] as? Int == 2)
            #expect(report["accepted"] as? Int == 1 && report["quarantined"] as? Int == 1)
            #expect(!response.text.contains("1840367482999"), "the report masks the NIR")
        }
        #expect(try fixture.store.tableCounts()["partner_record"] == 1)
    }

    @Test("A pushed file refused as a whole is told to the server's owner (serve mails the data team); others are not")
    func refusedPushTold() async throws {
        let fixture = try APIFixture()
        let caf = try fixture.store.access.createAPIKey(partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")])
            .key
        let told = Mutex<[RefusedPush]>([])
        var api = fixture.api
        api.onFileRefused = { refused in told.withLock { $0.append(refused) } }
        try await Application(router: api.buildRouter(), logger: APIFixture.silent).test(.router) { client in
            for (sample, status) in [("cnaf/bad/undefined-byte.xml", 422), ("cnaf/caf-67-2026-09.xml", 201)] {
                let response = try await client.execute(
                    uri: "/v1/flows/caf-beneficiaires/files", method: .post, headers: .key(caf),
                    body: try fileBody(Repo.sample(sample)))
                #expect(response.status.code == status, "\(sample): \(response.text)")
            }
        }
        let refused = told.withLock { $0 }
        #expect(refused.count == 1)
        #expect(refused.first?.flow == "caf-beneficiaires" && refused.first?.partner == "caf-msa")
        #expect(refused.first?.outcome == .unreadable || refused.first?.outcome == .rejected)
    }

    @Test("POST records: NDJSON, and a byte order mark before the array, are taken as the file readers take them")
    func pushRecordsShapes() async throws {
        let fixture = try APIFixture()
        let line =
            #"{"idProfil": "JC-API-%d", "personne": {"nom": "TEST", "prenom": "Api", "dateNaissance": "1990-01-01"}, "cv": {"dateDepot": "2026-10-01"}, "statut": "ACTIF", "visibleEmployeurs": true}"#
        let ndjson = (1...3).map { String(format: line, $0) }.joined(separator: "\n") + "\n\n"
        let array = [0xEF, 0xBB, 0xBF] + Array(("[" + String(format: line, 4) + "]").utf8)
        try await fixture.app().test(.router) { client in
            for (body, records) in [(Array(ndjson.utf8), 3), (array, 1)] {
                let response = try await client.execute(
                    uri: "/v1/flows/jobconnexion-cv/records", method: .post,
                    headers: .key(fixture.jobConnexion, contentType: "application/json"), body: ByteBuffer(bytes: body))
                #expect(response.status == .created, "\(response.text)")
                let report = try #require(response.json as? [String: Any])
                #expect(report["records"] as? Int == records && report["accepted"] as? Int == records)
            }
        }
        #expect(try fixture.store.tableCounts()["partner_record"] == 4)
    }

    @Test("Replay through the API: reprocess the quarantine and retry a refused file (admin only, audited)")
    func replayRoutes() async throws {
        let fixture = try APIFixture()
        let caf = try fixture.store.access.createAPIKey(partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")])
            .key
        try await fixture.app().test(.router) { client in
            let quarantining = try await client.execute(
                uri: "/v1/flows/caf-beneficiaires/files", method: .post, headers: .key(caf),
                body: try fileBody(Repo.sample("cnaf/bad/wrong-nir-key.xml")))
            #expect(quarantining.status == .created)
            let refused = try await client.execute(
                uri: "/v1/flows/caf-beneficiaires/files", method: .post, headers: .key(caf),
                body: try fileBody(Repo.sample("cnaf/bad/undefined-byte.xml")))
            #expect(refused.status.code == 422)
            let refusedID = try #require(
                ((refused.json as? [String: Any])?["report"] as? [String: Any])?["fileID"] as? Int)
            // Partners may not replay.
            let forbidden = try await client.execute(
                uri: "/v1/status/quarantine/reprocess", method: .post, headers: .key(caf))
            #expect(forbidden.status == .forbidden)
            let reprocess = try await client.execute(
                uri: "/v1/status/quarantine/reprocess?file=1", method: .post, headers: .key(fixture.admin))
            #expect(reprocess.status == .ok, "\(reprocess.text)")
            let report = try #require(reprocess.json as? [String: Any])
            #expect(report["records"] as? Int == 1 && report["quarantined"] as? Int == 1)
            #expect(!reprocess.text.contains("240087"), "a NIR never goes back unmasked")
            let bad = try await client.execute(
                uri: "/v1/status/quarantine/reprocess?file=x", method: .post, headers: .key(fixture.admin))
            #expect(bad.status == .badRequest)
            let retry = try await client.execute(
                uri: "/v1/status/files/\(refusedID)/retry", method: .post, headers: .key(fixture.admin))
            #expect(retry.status == .ok, "\(retry.text)")
            #expect((retry.json as? [String: Any])?["outcome"] as? String == "unreadable")
            let applied = try await client.execute(
                uri: "/v1/status/files/1/retry", method: .post, headers: .key(fixture.admin))
            #expect(applied.status == .conflict)
            let unknown = try await client.execute(
                uri: "/v1/status/files/999/retry", method: .post, headers: .key(fixture.admin))
            #expect(unknown.status == .notFound)
        }
        let audit = try fixture.store.access.auditLog()
        #expect(audit.contains { $0.action == "reprocess" && $0.actor.hasPrefix("api:") })
        #expect(audit.contains { $0.action == "retry" && $0.subject == "2" })
        #expect(try fixture.store.ledger.receivedFile(id: 2)?.attempts == 2)
    }

    @Test("Malformed input gets a 4xx with a JSON error body, never a 500 nor personal data")
    func malformedInput() async throws {
        let fixture = try APIFixture()
        let caf = try fixture.store.access.createAPIKey(partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")])
            .key
        let json = "application/json"
        let cases: [(String, HTTPRequest.Method, HTTPFields, ByteBuffer?, Int)] = [
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: #""idProfil""#), 400
            ),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: #"[{"idProfil": "#), 400
            ),
            // Exactly one array, or one object a line: nothing after it.
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: #"[{"idProfil": "a"}] [{"idProfil": "b"}]"#), 400
            ),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: #"[] x"#), 400
            ),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: #"{"idProfil": "a"} {"idProfil": "b"}"#), 400
            ),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(bytes: Array(#"[{"idProfil": "a"}]"#.utf8) + [0xEF, 0xBB, 0xBF]), 400
            ),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json),
                ByteBuffer(string: "   "), 400
            ),
            ("/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: json), nil, 400),
            (
                "/v1/flows/jobconnexion-cv/records", .post, .key(fixture.jobConnexion, contentType: "text/plain"),
                ByteBuffer(string: "[]"), 415
            ),
            ("/v1/flows/caf-beneficiaires/records", .post, .key(caf, contentType: json), ByteBuffer(string: "[]"), 415),
            (
                "/v1/flows/jobconnexion-cv/files", .post, .key(fixture.jobConnexion),
                ByteBuffer(bytes: [0xFF, 0xFE, 0x00, 0x01, 0x02]), 422
            ),
            (
                "/v1/flows/jobconnexion-cv/files?name=.hidden", .post, .key(fixture.jobConnexion),
                ByteBuffer(string: "x"), 400
            ),
            ("/v1/flows/caf-beneficiaires/files", .post, .key(caf), try fileBody(Repo.sample("cnaf/bad/xxe.xml")), 422),
            (
                "/v1/flows/caf-beneficiaires/files", .post, .key(caf),
                try fileBody(Repo.sample("cnaf/bad/billion-laughs.xml")), 422
            ),
            (
                "/v1/flows/caf-beneficiaires/files", .post, .key(caf),
                try fileBody(Repo.sample("cnaf/bad/undefined-byte.xml")), 422
            ),
            ("/v1/flows/no-such-flow/files", .post, .key(caf), ByteBuffer(string: "x"), 404),
            ("/v1/flows/de-candidates/files", .post, .key(caf), ByteBuffer(string: "x"), 404),
            ("/v1/partners/job-connexion/rejections/abc", .get, .key(fixture.jobConnexion), nil, 400),
            ("/v1/partners/job-connexion/rejections/999", .get, .key(fixture.jobConnexion), nil, 404),
            ("/v1/partners/job-connexion/outbox/../g.sqlite", .get, .key(fixture.jobConnexion), nil, 404),
            ("/v1/partners/job-connexion/outbox/notices/..", .get, .key(fixture.jobConnexion), nil, 400),
            ("/v1/partners/job-connexion/outbox/secret/x.csv", .get, .key(fixture.jobConnexion), nil, 404),
            ("/v1/reports/cv-deposit?as-of=2026-13-45", .get, .key(fixture.admin), nil, 400),
            ("/v1/reports/cv-deposit?max-age=forever", .get, .key(fixture.admin), nil, 400),
            ("/v1/reports/indicators?from=2026-09-01", .get, .key(fixture.admin), nil, 400),
            ("/v1/reports/indicators?from=2026-10-01&to=2026-09-01", .get, .key(fixture.admin), nil, 400),
            ("/v1/reports/dashboard?from=2027-01-01&as-of=2026-01-01", .get, .key(fixture.admin), nil, 400),
            ("/v1/status/quarantine?file=abc", .get, .key(fixture.admin), nil, 400),
            ("/v1/nothing-here", .get, .key(fixture.admin), nil, 404),
            ("/health", .post, [:], nil, 404),
        ]
        try await fixture.app().test(.router) { client in
            for (uri, method, headers, body, expected) in cases {
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                #expect(Int(response.status.code) == expected, "\(method.rawValue) \(uri): \(response.text)")
                #expect(response.status.code < 500)
                #expect(response.errorCode != nil, "\(uri): JSON error body expected, got \(response.text)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                // The file's SHA-256 is the only long run of hex in a report.
                let text = response.text.replacingOccurrences(
                    of: #""sha256":"[0-9a-f]{64}""#, with: "", options: .regularExpression)
                for token in text.split(whereSeparator: { !$0.isNumber }) {
                    #expect(token.count < 13, "\(uri): a NIR-like number in an error body")
                }
            }
        }
    }

    @Test("Body size limit: 413 with a JSON body, nothing imported")
    func bodyLimit() async throws {
        let fixture = try APIFixture { $0.maxBodyBytes = 512 }
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files", method: .post, headers: .key(fixture.jobConnexion),
                body: try fileBody(Self.cvSample))
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "body-too-large")
        }
        #expect(try fixture.store.ledger.receivedFiles().isEmpty)
    }

    @Test("Rate limit per key: a token bucket, 429 with Retry-After, other keys unaffected")
    func rateLimit() async throws {
        let fixture = try APIFixture {
            $0.rateLimit = 0.001
            $0.rateBurst = 3
        }
        try await fixture.app().test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<5 {
                statuses.append(
                    try await client.execute(uri: "/v1/status/files", method: .get, headers: .key(fixture.admin)).status
                )
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .ok })
            #expect(statuses.last == .tooManyRequests)
            let limited = try await client.execute(uri: "/v1/status/files", method: .get, headers: .key(fixture.admin))
            #expect(limited.errorCode == "rate-limited" && limited.headers[.retryAfter] != nil)
            let other = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections", method: .get, headers: .key(fixture.jobConnexion))
            #expect(other.status == .ok)
        }
    }

    @Test("Request timeout: 503 with a JSON body")
    func timeout() async throws {
        let fixture = try APIFixture { $0.requestTimeout = .nanoseconds(1) }
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files", method: .post, headers: .key(fixture.jobConnexion),
                body: try fileBody(Self.cvSample))
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "timeout")
        }
        // The import under way runs to its end, wholly, and its upload is removed after it.
        var files: [ReceivedFile] = []
        for _ in 0..<100 {
            files = try fixture.store.ledger.receivedFiles()
            let uploads =
                (try? FileManager.default.contentsOfDirectory(atPath: fixture.directory.path("uploads"))) ?? []
            if !files.isEmpty && uploads.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(files.count == 1 && files.first?.outcome == .applied && files.first?.records == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path("uploads")).isEmpty)
    }

    /// A store with the samples of a sourcing run: CAF, job posts, operators' follow-up, CVs; candidates written.
    static func sourcingFixture() throws -> APIFixture {
        let fixture = try APIFixture()
        let flows = try MappingLoader.loadAll(directory: Repo.mappings)
        for (flow, file) in [
            ("caf-beneficiaires", "cnaf/caf-67-2026-09.xml"), ("job-posts", "job-posts/offres-67-68-2026-09.json"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-09.csv"),
            ("operator-followup", "operator-followup/suivi-operateurs-2026-11.csv"),
            ("caf-beneficiaires", "cnaf/caf-67-2026-10.xml"),
        ] {
            _ = try FilePipeline(flow: flows[flow]!, logger: APIFixture.silent).importFile(
                path: Repo.sample(file), ledger: fixture.store.ledger)
        }
        let outbound = Outbound(flows: flows, store: fixture.store)
        let day = LocalDate(iso: "2026-11-02")!
        _ = try outbound.source(
            postID: "DE67-2026-0412", format: .csv, directory: fixture.api.configuration.outboxDirectory, on: day)
        _ = try outbound.alerts(directory: fixture.api.configuration.outboxDirectory, on: day)
        return fixture
    }

    @Test("Outbox: a partner lists and downloads its own files only; each download is audited")
    func outbox() async throws {
        let fixture = try Self.sourcingFixture()
        try await fixture.app().test(.router) { client in
            let listing = try await client.execute(
                uri: "/v1/partners/developpeurs-emploi/outbox", method: .get, headers: .key(fixture.developpeurs))
            #expect(listing.status == .ok, "\(listing.text)")
            let files = try #require((listing.json as? [String: Any])?["files"] as? [[String: Any]])
            #expect(files.count == 1)
            let href = try #require(files.first?["href"] as? String)
            #expect(href.hasPrefix("/v1/partners/developpeurs-emploi/outbox/candidates/candidats-DE67-2026-0412"))
            let file = try await client.execute(uri: href, method: .get, headers: .key(fixture.developpeurs))
            #expect(file.status == .ok)
            #expect(file.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(!file.body.readableBytesView.isEmpty)
            let crossed = try await client.execute(uri: href, method: .get, headers: .key(fixture.cre))
            #expect(crossed.status == .forbidden)
            let creListing = try await client.execute(
                uri: "/v1/partners/conseillers-relais-entreprises/outbox", method: .get, headers: .key(fixture.cre))
            #expect(((creListing.json as? [String: Any])?["files"] as? [Any])?.isEmpty == true)
            let alerts = try await client.execute(
                uri: "/v1/partners/OP67-SOCIOPRO/outbox", method: .get, headers: .key(fixture.operatorKey))
            let alertFiles = try #require((alerts.json as? [String: Any])?["files"] as? [[String: Any]])
            #expect(alertFiles.count == 1 && alertFiles[0]["area"] as? String == "alerts")
        }
        let audit = try fixture.store.access.auditLog(partner: "developpeurs-emploi")
        #expect(audit.contains { $0.action == "read-outbox-file" && $0.subject.hasPrefix("candidates/candidats-") })
        #expect(audit.contains { $0.action == "read-outbox" && $0.actor.hasPrefix("igw_") })
    }

    @Test(
        "Rejections: the partner's own refused files and quarantined records, masked; the notice as CSV",
        arguments: Backend.available)
    func rejections(backend: Backend) async throws {
        let fixture = try APIFixture(backend: backend)
        try await fixture.app().test(.router) { client in
            let bad = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files?name=profils-bad-identifiers.csv", method: .post,
                headers: .key(fixture.jobConnexion),
                body: try fileBody(Repo.sample("jobconnexion-cv/bad/profils-bad-identifiers.csv")))
            #expect(bad.status == .created)
            let fileID = try #require((bad.json as? [String: Any])?["fileID"] as? Int)
            let list = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections", method: .get, headers: .key(fixture.jobConnexion))
            #expect(list.status == .ok)
            let entries = try #require(list.json as? [[String: Any]])
            #expect(entries.count == 1 && entries[0]["fileID"] as? Int == fileID)
            #expect(((entries[0]["issues"] as? [Any])?.count ?? 0) > 0)
            let notice = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections/\(fileID)", method: .get,
                headers: .key(fixture.jobConnexion))
            #expect(notice.status == .ok)
            #expect(notice.headers[.contentType]?.hasPrefix("text/csv") == true)
            let foreign = try await client.execute(
                uri: "/v1/partners/france-travail/rejections/\(fileID)", method: .get,
                headers: .key(fixture.franceTravail))
            #expect(foreign.status == .notFound, "a file of another partner is not found")
            let ftList = try await client.execute(
                uri: "/v1/partners/france-travail/rejections", method: .get, headers: .key(fixture.franceTravail))
            #expect((ftList.json as? [Any])?.isEmpty == true)
        }
    }

    @Test("Status, reports and metrics for an admin key")
    func statusReportsMetrics() async throws {
        let fixture = try Self.sourcingFixture()
        try await fixture.app().test(.router) { client in
            _ = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files", method: .post, headers: .key(fixture.jobConnexion),
                body: try fileBody(Self.cvSample))
            let files = try await client.execute(uri: "/v1/status/files", method: .get, headers: .key(fixture.admin))
            #expect((files.json as? [Any])?.count == 6)
            // The journal lists the scheduled exchanges' runs (here one, recorded as `run` would), newest first.
            let run = try fixture.store.exchanges.startRun(exchange: "ft-depot", direction: .in, owner: "test")
            var transfer = ExchangeTransfer(
                runID: run, exchange: "ft-depot", direction: .in, name: "pe-cg-stock-2026-09.csv",
                outcome: .received(.applied))
            transfer.records = 3
            try fixture.store.exchanges.recordTransfer(transfer)
            try fixture.store.exchanges.finishRun(
                id: run, outcome: .succeeded, attempts: 1, files: 1, bytes: 100, durationMS: 5, message: nil)
            let journal = try await client.execute(
                uri: "/v1/status/journal?limit=2&since=2026-01-01", method: .get, headers: .key(fixture.admin))
            let runs = try #require(journal.json as? [[String: Any]])
            #expect(runs.count == 1 && runs.first?["exchange"] as? String == "ft-depot")
            #expect((runs.first?["transfers"] as? [[String: Any]])?.first?["records"] as? Int == 3)
            let badSince = try await client.execute(
                uri: "/v1/status/journal?since=hier", method: .get, headers: .key(fixture.admin))
            #expect(badSince.status == .badRequest)
            let quarantine = try await client.execute(
                uri: "/v1/status/quarantine", method: .get, headers: .key(fixture.admin))
            #expect(quarantine.status == .ok && ((quarantine.json as? [Any])?.count ?? 0) >= 1)
            #expect(!quarantine.text.contains("\"raw\""))
            for uri in [
                "/v1/reports/findings?as-of=2026-11-02", "/v1/reports/cv-deposit?as-of=2026-11-02",
                "/v1/reports/indicators?from=2026-09-01&to=2026-10-31",
            ] {
                let report = try await client.execute(uri: uri, method: .get, headers: .key(fixture.admin))
                #expect(report.status == .ok, "\(uri): \(report.text)")
                #expect(((report.json as? [String: Any])?["rows"] as? [Any])?.isEmpty == false, "\(uri)")
                #expect(!report.text.contains("2790767462208"), "masked people")
            }
            let dashboard = try await client.execute(
                uri: "/v1/reports/dashboard?as-of=2026-11-02", method: .get, headers: .key(fixture.admin))
            #expect(dashboard.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(dashboard.text.contains("Tableau de bord"))
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .key(fixture.admin))
            #expect(metrics.text.contains(#"gateway_records_total{flow="jobconnexion-cv",outcome="accepted"} 3"#))
            #expect(metrics.text.contains("gateway_exchange_duration_seconds_bucket"))
            #expect(metrics.text.contains("gateway_http_requests_total"))
        }
        let actions = Set(try fixture.store.access.auditLog().map(\.action))
        #expect(actions.isSuperset(of: ["push-file", "read-quarantine", "read-report"]))
    }

    // SQLite only: on PostgreSQL the store's calls wait on the network while holding a thread of the concurrency
    // pool, and beside the rest of the suite on 2 cores the live server was starved of threads (a read timeout).
    @Test("The server on loopback: a live request through the HTTP stack")
    func live() async throws {
        let fixture = try APIFixture()
        try await fixture.app().test(.live) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            let pushed = try await client.execute(
                uri: "/v1/flows/jobconnexion-cv/files", method: .post, headers: .key(fixture.jobConnexion),
                body: try fileBody(Self.cvSample))
            #expect(pushed.status == .created)
        }
    }
}
