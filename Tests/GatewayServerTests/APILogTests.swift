import Foundation
import GatewayCore
import GatewayServer
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// A log handler that keeps every line, metadata included, as text.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        lines.withLockedValue {
            $0.append("\(event.message) \(all.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

@Suite("API logs")
struct APILogTests {
    @Test("The API's logs (requests, pipeline) never carry a NIR, a name or an address of what was pushed")
    func logsMasked() async throws {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "capture") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let fixture = try APIFixture(logger: logger)
        let caf = try fixture.store.access.createAPIKey(partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")])
            .key
        let pushes: [(String, String, String)] = [
            ("caf-beneficiaires", caf, "cnaf/caf-67-2026-09.xml"),
            ("caf-beneficiaires", caf, "cnaf/bad/wrong-nir-key.xml"),
            ("caf-beneficiaires", caf, "cnaf/odd/shifted-birthdate.xml"),
            ("jobconnexion-cv", fixture.jobConnexion, "jobconnexion-cv/jobconnexion-profils-2026-10-15.json"),
            ("jobconnexion-cv", fixture.jobConnexion, "jobconnexion-cv/bad/profils-bad-identifiers.csv"),
            ("jobconnexion-cv", fixture.jobConnexion, "jobconnexion-cv/bad/profils-malformed.json"),
        ]
        var secrets = Set<String>()
        for (_, _, file) in pushes {
            let text = String(
                decoding: try Data(contentsOf: URL(fileURLWithPath: Repo.sample(file))), as: UTF8.self)
            for pattern in [
                #"<NIR>([^<]+)</NIR>"#, #"<NOM>([^<]+)</NOM>"#, #"<NOMVOIE>([^<]+)</NOMVOIE>"#,
                #""(?:nir|nom)"\s*:\s*"([^"]+)""#,
            ] {
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) {
                        secrets.insert(String(text[range]).trimmingCharacters(in: .whitespaces))
                    }
                }
            }
        }
        try await Application(router: fixture.api.buildRouter(), logger: logger).test(.router) { client in
            for (flow, key, file) in pushes {
                let name = (file as NSString).lastPathComponent
                let response = try await client.execute(
                    uri: "/v1/flows/\(flow)/files?name=\(name)", method: .post, headers: .key(key),
                    body: try fileBody(Repo.sample(file)))
                #expect(response.status.code < 500)
            }
            _ = try await client.execute(uri: "/v1/status/quarantine", method: .get, headers: .key(fixture.admin))
            _ = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections", method: .get, headers: .key(fixture.jobConnexion))
        }
        let logs = lines.withLockedValue { $0.joined(separator: "\n") }
        #expect(logs.contains("file applied") && logs.contains("request"))
        #expect(secrets.count > 15)
        for secret in secrets where secret.count >= 4 {
            #expect(!logs.contains(secret), "the API logs carry a personal value (\(Masking.text(secret)))")
        }
    }
}
