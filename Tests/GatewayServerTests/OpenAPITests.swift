import Foundation
import GatewayServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

@Suite("OpenAPI document")
struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let text = try String(
            contentsOfFile: Repo.root.appendingPathComponent("openapi/openapi.yaml").path, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    @Test("Every route of the router is in openapi/openapi.yaml, and the document names no other")
    func everyRouteDocumented() throws {
        let document = try Self.document()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        for route in APIRoutes.all {
            let operations = paths[route.path] as? [String: Any]
            #expect(
                operations?[route.method.rawValue.lowercased()] != nil,
                "\(route.method.rawValue) \(route.path) is missing from openapi/openapi.yaml")
        }
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        for (path, value) in paths {
            for method in (value as? [String: Any] ?? [:]).keys where methods.contains(method) {
                #expect(
                    APIRoutes.all.contains { $0.path == path && $0.method.rawValue.lowercased() == method },
                    "openapi/openapi.yaml documents \(method.uppercased()) \(path), which the router does not serve")
            }
        }
    }

    @Test("The router registers every route of the table (none answers the router's own 404)")
    func everyRouteRegistered() async throws {
        let fixture = try APIFixture()
        try await fixture.app().test(.router) { client in
            for route in APIRoutes.all {
                let response = try await client.execute(uri: AccessTests.uri(route), method: route.method)
                #expect(response.status != .notFound, "\(route.method.rawValue) \(route.path) is not registered")
                #expect(response.status != .methodNotAllowed)
            }
        }
    }
}
