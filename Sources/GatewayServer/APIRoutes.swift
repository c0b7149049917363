import HTTPTypes

/// Who may call a route.
public enum RouteAccess: String, Sendable {
    /// No key: `/health` only.
    case open
    /// A key with `flow:<flow>:in` for the path's flow.
    case push
    /// A key of the path's partner (each route then checks the flows it serves).
    case partner
    /// A key with the `admin` scope.
    case admin
}

/// One route of the API. The table below is the only list of routes: the router registers from it, and a test
/// checks it against `openapi/openapi.yaml` both ways.
public struct APIRoute: Sendable, Hashable {
    public enum Name: String, Sendable, CaseIterable {
        case health, metrics
        case pushFile, pushRecords
        case outbox, outboxFile, rejections, rejectionNotice
        case statusFiles, statusJournal, statusQuarantine, statusReprocess, statusRetry
        case reportFindings, reportCVDeposit, reportIndicators, reportDashboard
    }

    public let name: Name
    public let method: HTTPRequest.Method
    /// The path as OpenAPI writes it: `/v1/flows/{flow}/files`.
    public let path: String
    public let access: RouteAccess
    /// Why the route reads data, written to the audit log when the caller gives no `X-Purpose`.
    public let purpose: String

    /// The path as Hummingbird's router writes it: `/v1/flows/:flow/files`.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }
}

public enum APIRoutes {
    public static let all: [APIRoute] = [
        APIRoute(name: .health, method: .get, path: "/health", access: .open, purpose: "supervision"),
        APIRoute(name: .metrics, method: .get, path: "/metrics", access: .admin, purpose: "supervision"),
        APIRoute(
            name: .pushFile, method: .post, path: "/v1/flows/{flow}/files", access: .push,
            purpose: "dépôt d'un fichier par le partenaire"),
        APIRoute(
            name: .pushRecords, method: .post, path: "/v1/flows/{flow}/records", access: .push,
            purpose: "dépôt d'enregistrements par le partenaire"),
        APIRoute(
            name: .outbox, method: .get, path: "/v1/partners/{partner}/outbox", access: .partner,
            purpose: "retrait des fichiers destinés au partenaire"),
        APIRoute(
            name: .outboxFile, method: .get, path: "/v1/partners/{partner}/outbox/{area}/{name}", access: .partner,
            purpose: "retrait d'un fichier destiné au partenaire"),
        APIRoute(
            name: .rejections, method: .get, path: "/v1/partners/{partner}/rejections", access: .partner,
            purpose: "avis de rejet des fichiers du partenaire"),
        APIRoute(
            name: .rejectionNotice, method: .get, path: "/v1/partners/{partner}/rejections/{file}",
            access: .partner, purpose: "avis de rejet d'un fichier du partenaire"),
        APIRoute(
            name: .statusFiles, method: .get, path: "/v1/status/files", access: .admin,
            purpose: "suivi des fichiers reçus"),
        APIRoute(
            name: .statusJournal, method: .get, path: "/v1/status/journal", access: .admin,
            purpose: "suivi des échanges"),
        APIRoute(
            name: .statusQuarantine, method: .get, path: "/v1/status/quarantine", access: .admin,
            purpose: "suivi de la quarantaine"),
        APIRoute(
            name: .statusReprocess, method: .post, path: "/v1/status/quarantine/reprocess", access: .admin,
            purpose: "reprise de la quarantaine"),
        APIRoute(
            name: .statusRetry, method: .post, path: "/v1/status/files/{file}/retry", access: .admin,
            purpose: "nouvelle tentative d'un fichier refusé"),
        APIRoute(
            name: .reportFindings, method: .get, path: "/v1/reports/findings", access: .admin,
            purpose: "contrôle des règles des fiches action"),
        APIRoute(
            name: .reportCVDeposit, method: .get, path: "/v1/reports/cv-deposit", access: .admin,
            purpose: "rapport de dépôt des CV"),
        APIRoute(
            name: .reportIndicators, method: .get, path: "/v1/reports/indicators", access: .admin,
            purpose: "indicateurs des fiches action"),
        APIRoute(
            name: .reportDashboard, method: .get, path: "/v1/reports/dashboard", access: .admin,
            purpose: "tableau de bord"),
    ]
}
