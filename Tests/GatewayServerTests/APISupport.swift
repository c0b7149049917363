import Foundation
import GatewayCore
import GatewayMapping
import GatewayServer
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// Paths of the repository, found from this file.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let mappings = root.appendingPathComponent("Mappings").path
    static let samples = root.appendingPathComponent("Samples")

    static func sample(_ path: String) -> String { samples.appendingPathComponent(path).path }
}

/// A temporary folder removed at the end of a test.
final class TempDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ig-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// An API over a fresh store, with keys for the partners the tests play.
struct APIFixture: Sendable {
    let directory: TempDirectory
    let store: GatewayStore
    let api: GatewayAPI
    /// Keys by role.
    let admin: String
    let jobConnexion: String
    let franceTravail: String
    let developpeurs: String
    let cre: String
    let operatorKey: String

    static let silent: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()

    init(
        storePath: String? = nil, backend: Backend = .sqlite, logger: Logger = APIFixture.silent,
        configure: (inout APIConfiguration) -> Void = { _ in }
    ) throws {
        directory = try TempDirectory()
        store =
            try storePath.map { try GatewayStore(path: $0) }
            ?? backend.store(folder: URL(fileURLWithPath: directory.path(".")))
        let flows = try MappingLoader.loadAll(directory: Repo.mappings)
        let (programmes, structures) = try ProgrammeLoader.load(directory: Repo.mappings)
        var configuration = APIConfiguration(
            outboxDirectory: directory.path("outbox"), keepDirectory: directory.path("refused"),
            uploadDirectory: directory.path("uploads"))
        configuration.rateLimit = 0
        configure(&configuration)
        api = GatewayAPI(
            repositories: APIRepositories(store), flows: flows, programmes: programmes, structures: structures,
            configuration: configuration, logger: logger)
        admin = try store.access.createAPIKey(partner: "departement", scopes: [.admin]).key
        jobConnexion = try store.access.createAPIKey(
            partner: "job-connexion", scopes: [.push(flow: "jobconnexion-cv"), .pull(flow: "rejection-notices")]
        ).key
        franceTravail = try store.access.createAPIKey(
            partner: "france-travail", scopes: [.push(flow: "ft-inscriptions"), .pull(flow: "rejection-notices")]
        ).key
        developpeurs = try store.access.createAPIKey(
            partner: "developpeurs-emploi",
            scopes: [.push(flow: "sourcing-feedback"), .push(flow: "job-posts"), .pull(flow: "de-candidates")]
        ).key
        cre = try store.access.createAPIKey(
            partner: "conseillers-relais-entreprises",
            scopes: [.push(flow: "sourcing-feedback"), .push(flow: "job-posts"), .pull(flow: "cre-candidates")]
        ).key
        operatorKey = try store.access.createAPIKey(
            partner: "OP67-SOCIOPRO", scopes: [.push(flow: "operator-followup"), .pull(flow: "operator-alerts")]
        ).key
    }

    func app() -> some ApplicationProtocol {
        Application(router: api.buildRouter(), logger: Self.silent)
    }
}

extension HTTPFields {
    static func key(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

    static func key(_ key: String, contentType: String) -> HTTPFields {
        [.authorization: "Bearer \(key)", .contentType: contentType]
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(buffer: body)) }

    /// The `error.code` of a JSON error body, nil when the body is not one.
    var errorCode: String? {
        ((json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String
    }
}

func fileBody(_ path: String) throws -> ByteBuffer {
    ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: path)))
}
