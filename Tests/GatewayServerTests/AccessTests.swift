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

    @Test("Every refusal is audited: no key, an unknown key and a revoked key (401), never the key itself")
    func unauthenticatedAudited() async throws {
        let fixture = try APIFixture()
        let revoked = try fixture.store.access.createAPIKey(partner: "job-connexion", scopes: [.admin])
        try fixture.store.access.revokeAPIKey(keyID: revoked.record.keyID)
        try await fixture.app().test(.router) { client in
            for headers: HTTPFields in [[:], .key("igw_unknown_key"), .key(revoked.key)] {
                let response = try await client.execute(uri: "/v1/status/files", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
            }
        }
        let refused = try fixture.store.access.auditLog().filter { $0.action == "unauthenticated" }
        #expect(refused.count == 3 && refused.allSatisfy { $0.status == 401 && $0.actor == "anonymous" })
        #expect(refused.allSatisfy { $0.route == "GET /v1/status/files" })
        let text = try fixture.store.access.auditLog().map { "\($0)" }.joined()
        #expect(!text.contains(revoked.key) && !text.contains("igw_unknown_key"))
    }

    @Test("Failed authentication from one address is rate-limited: then even a valid key waits (429, audited)")
    func authenticationFailuresLimited() async throws {
        let fixture = try APIFixture { $0.authFailureBurst = 3 }
        try await fixture.app().test(.router) { client in
            for _ in 0..<3 {
                let guess = try await client.execute(uri: "/v1/status/files", method: .get, headers: .key("igw_guess"))
                #expect(guess.status == .unauthorized)
            }
            let blocked = try await client.execute(
                uri: "/v1/status/files", method: .get, headers: .key(fixture.admin))
            #expect(blocked.status == .tooManyRequests && blocked.errorCode == "too-many-failures")
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // /health stays open.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
        let audit = try fixture.store.access.auditLog()
        #expect(audit.filter { $0.action == "unauthenticated" }.count == 3)
        #expect(audit.contains { $0.action == "blocked" && $0.status == 429 })
        // A server without the limit lets the valid key through after the same failures.
        let open = try APIFixture { $0.authFailureRate = 0 }
        try await open.app().test(.router) { client in
            for _ in 0..<12 {
                _ = try await client.execute(uri: "/v1/status/files", method: .get, headers: .key("igw_guess"))
            }
            #expect(
                try await client.execute(uri: "/v1/status/files", method: .get, headers: .key(open.admin)).status == .ok
            )
        }
    }

    @Test("X-Purpose is kept bounded and masked: identifiers and names never reach the audit log in clear")
    func purposeMasked() async throws {
        #expect(
            GatewayAPI.maskedPurpose("Suivi RSA de Jean Dupont NIR 184056748212386 dossier 2055990")
                == "Suivi RSA de J*** D*** NIR 184************ dossier ****990")
        #expect(GatewayAPI.maskedPurpose("contrôle CER de MARTIN") == "contrôle CER de M***")
        #expect(GatewayAPI.maskedPurpose(String(repeating: "a", count: 500)).count == 80)
        #expect(GatewayAPI.maskedPurpose("ligne\u{1B}\ninjectée") == "ligneinjectée")
        let fixture = try APIFixture()
        try await fixture.app().test(.router) { client in
            var headers = HTTPFields.key(fixture.admin)
            headers[HTTPField.Name("X-Purpose")!] = "Vérification pour Jean Dupont 184056748212386"
            let read = try await client.execute(uri: "/v1/status/quarantine", method: .get, headers: headers)
            #expect(read.status == .ok)
        }
        let purposes = try fixture.store.access.auditLog().map(\.purpose)
        #expect(purposes.contains("Vérification pour J*** D*** 184************"), "\(purposes)")
        #expect(!purposes.joined().contains("Dupont") && !purposes.joined().contains("8212386"))
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
