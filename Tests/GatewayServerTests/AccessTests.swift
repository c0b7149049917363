import Foundation
import GatewayServer
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Access control: every route refuses a missing key, a wrong key and another partner's key")
struct AccessTests {
    /// A concrete URI for a route, its parameters filled with values of the job-connexion partner.
    static func uri(_ route: APIRoute, partner: String = "job-connexion") -> String {
        route.path.replacingOccurrences(of: "{flow}", with: "jobconnexion-cv")
            .replacingOccurrences(of: "{partner}", with: partner).replacingOccurrences(of: "{area}", with: "notices")
            .replacingOccurrences(of: "{name}", with: "rejets-1.csv").replacingOccurrences(of: "{file}", with: "1")
    }

    static let protected = APIRoutes.all.filter { $0.access != .open }

    static func body(_ route: APIRoute) -> ByteBuffer? {
        route.method == .post ? ByteBuffer(string: "[]") : nil
    }

    @Test("No key: 401 with a JSON error", arguments: protected)
    func missingKey(route: APIRoute) async throws {
        let fixture = try APIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(
                uri: Self.uri(route), method: route.method, headers: [.contentType: "application/json"],
                body: Self.body(route))
            #expect(response.status == .unauthorized, "\(route.path)")
            #expect(response.errorCode == "missing-key")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("A wrong key, and a revoked one: 401", arguments: protected)
    func wrongKey(route: APIRoute) async throws {
        let fixture = try APIFixture()
        let revoked = try fixture.store.access.createAPIKey(
            partner: "job-connexion", scopes: [.push(flow: "jobconnexion-cv")])
        try fixture.store.access.revokeAPIKey(keyID: revoked.record.keyID)
        try await fixture.app().test(.router) { client in
            for key in ["igw_nothing_like_a_real_key", String(fixture.jobConnexion.dropLast()) + "x", revoked.key] {
                let response = try await client.execute(
                    uri: Self.uri(route), method: route.method,
                    headers: .key(key, contentType: "application/json"), body: Self.body(route))
                #expect(response.status == .unauthorized, "\(route.path)")
                #expect(response.errorCode == "invalid-key")
            }
            let other = try await client.execute(
                uri: Self.uri(route), method: route.method, headers: [Self.apiKey: "wrong"], body: Self.body(route))
            #expect(other.status == .unauthorized)
        }
    }

    static let apiKey = HTTPField.Name("X-API-Key")!

    @Test("Another partner's key: 403, and the refusal is audited", arguments: protected)
    func anotherPartnersKey(route: APIRoute) async throws {
        let fixture = try APIFixture()
        // France Travail's key may push its own flow and read its own notices: none of job-connexion's routes,
        // nor the admin ones.
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(
                uri: Self.uri(route), method: route.method,
                headers: .key(fixture.franceTravail, contentType: "application/json"), body: Self.body(route))
            #expect(response.status == .forbidden, "\(route.method.rawValue) \(route.path): \(response.text)")
            #expect(response.errorCode == "forbidden")
        }
        let audit = try fixture.store.access.auditLog()
        #expect(audit.contains { $0.action == "denied" && $0.partner == "france-travail" && $0.status == 403 })
    }

    @Test("A partner's outbox and notices are its own: the same routes for another partner refuse its key")
    func partnerIsolation() async throws {
        let fixture = try APIFixture()
        try await fixture.app().test(.router) { client in
            for route in Self.protected where route.access == .partner {
                let own = try await client.execute(
                    uri: Self.uri(route, partner: "developpeurs-emploi"), method: route.method,
                    headers: .key(fixture.developpeurs))
                #expect(own.status != .forbidden, "\(route.path): \(own.text)")
                let other = try await client.execute(
                    uri: Self.uri(route, partner: "conseillers-relais-entreprises"), method: route.method,
                    headers: .key(fixture.developpeurs))
                #expect(other.status == .forbidden, "\(route.path)")
            }
        }
    }

    @Test("/health needs no key")
    func healthIsOpen() async throws {
        let fixture = try APIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == #"{"status":"ok"}"#)
        }
    }

    @Test("Keys are stored as SHA-256 digests, never in clear")
    func keysHashed() throws {
        let fixture = try APIFixture()
        let keys = try fixture.store.access.apiKeys()
        #expect(keys.count == 6)
        let text = ["g.sqlite", "g.sqlite-wal"].compactMap {
            FileManager.default.contents(atPath: fixture.directory.path($0))
        }.map { String(decoding: $0, as: UTF8.self) }.joined()
        for key in [fixture.admin, fixture.jobConnexion, fixture.developpeurs] {
            #expect(!text.contains(key))
            #expect(try fixture.store.access.apiKey(sha256: GatewayStore.keyDigest(key)) != nil)
        }
    }
}
