import Foundation
import GatewayStore
import GatewayStorePostgres

/// The database a test runs on: the embedded SQLite store, or PostgreSQL when `GATEWAY_TEST_POSTGRES_URL` names a
/// server (`scripts/test.sh` installs and starts one on loopback). Under CI (`CI` set) PostgreSQL is always in the
/// list: without a server its tests fail rather than being skipped.
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    public static let postgresURL = ProcessInfo.processInfo.environment["GATEWAY_TEST_POSTGRES_URL"]

    public static var available: [Backend] {
        postgresURL != nil || ProcessInfo.processInfo.environment["CI"] != nil ? allCases : [.sqlite]
    }

    /// A new, empty store: a SQLite file in a folder of its own (`folder`), or a database of its own on the
    /// PostgreSQL server (so that tests run in parallel), migrated. `instances` stores share it (several gateways).
    public func stores(_ instances: Int = 1, folder: URL? = nil) throws -> [GatewayStore] {
        switch self {
        case .sqlite:
            let folder =
                folder
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("ig-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let path = folder.appendingPathComponent("gateway.sqlite").path
            return try (0..<instances).map { _ in try GatewayStore(path: path) }
        case .postgres:
            let url = try Self.newDatabase()
            return try (0..<instances).map { _ in GatewayStore(database: try PostgresStoreDatabase(url: url)) }
        }
    }

    public func store(folder: URL? = nil) throws -> GatewayStore { try stores(1, folder: folder)[0] }

    /// The store at a PostgreSQL address (one `newDatabase()` gave, that gateway processes share).
    public static func store(url: String) throws -> GatewayStore {
        GatewayStore(database: try PostgresStoreDatabase(url: url))
    }

    /// The address of a new database on the test server (left for the server's removal at the end of the run).
    public static func newDatabase() throws -> String {
        guard let url = postgresURL else {
            throw StoreFailure("GATEWAY_TEST_POSTGRES_URL is not set: no PostgreSQL server for the tests (CI is set)")
        }
        let name = "ig_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        try PostgresStoreDatabase(url: url, migrate: false).run("CREATE DATABASE \(name)")
        guard var components = URLComponents(string: url) else { throw StoreFailure("bad test server address") }
        components.path = "/" + name
        return components.string!
    }
}
