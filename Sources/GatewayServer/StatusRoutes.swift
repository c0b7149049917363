import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayReports
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// A report's rows as JSON objects, with what the report concludes.
struct ReportBody: Encodable {
    var report: String
    var asOf: String?
    var from: String?
    var to: String?
    /// CV deposit: whether every rate reaches its target.
    var complete: Bool?
    var rows: [[String: String]]
    /// Indicators: Isère's PER indicators.
    var per: [[String: String]]?
}

extension GatewayAPI {
    /// `GET /v1/status/files`: the ledger of received files, newest first.
    func statusFiles(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 500, 1), 10_000)
        let repositories = repositories
        let files = try await offload { Array(try repositories.ledger.receivedFiles().suffix(limit).reversed()) }
        return try JSONCoding.response(files)
    }

    /// `GET /v1/status/journal[?since=…][&exchange=…][&limit=N]`: the scheduled exchanges' runs, newest first, each
    /// with its files (names, sizes, hashes, counts, outcomes; never a record). `since` is a date or an ISO 8601
    /// instant (UTC).
    func statusJournal(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 100, 1), 10_000)
        let since = request.uri.queryParameters.get("since").map { String($0) }
        if let since, LocalDate(iso: since) == nil, ISO8601DateFormatter().date(from: since) == nil {
            throw APIError.badRequest("since : une date (AAAA-MM-JJ) ou un instant ISO 8601.")
        }
        let exchange = request.uri.queryParameters.get("exchange").map { String($0) }
        let repositories = repositories
        let runs = try await offload {
            Array(try repositories.exchanges.journal(since: since, exchange: exchange).suffix(limit).reversed())
        }
        return try JSONCoding.response(runs)
    }

    /// `GET /v1/status/quarantine[?file=N]`: quarantined records, located, keys and values masked, no raw record.
    func statusQuarantine(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        var fileID: Int64?
        if let text = request.uri.queryParameters.get("file") {
            guard let number = Int64(text) else { throw APIError.badRequest("file : un numéro de fichier.") }
            fileID = number
        }
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 1_000, 1), 10_000)
        let (repositories, file) = (repositories, fileID)
        let entries = try await offload { try repositories.ledger.quarantineEntries(fileID: file, limit: limit) }
        await audit(
            route, request, context, action: "read-quarantine", subjectKind: .quarantine,
            subject: fileID.map { "file:\($0)" } ?? "all", status: 200)
        return try JSONCoding.response(entries)
    }

    /// `POST /v1/status/quarantine/reprocess[?file=N][&flow=F][&type=T][&record=Q]`: the quarantined records named
    /// run again through the current mappings (`Replayer.reprocess`); journaled and audited with the key.
    func statusReprocess(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let query = request.uri.queryParameters
        func number(_ name: String) throws -> Int64? {
            guard let text = query.get(name) else { return nil }
            guard let value = Int64(text) else { throw APIError.badRequest("\(name) : un numéro.") }
            return value
        }
        let filter = QuarantineFilter(
            fileID: try number("file"), flow: query.get("flow").map { String($0) },
            type: query.get("type").map { String($0) }, record: try number("record"))
        let actor = "api:" + (context.caller?.keyID ?? "anonymous")
        let (flows, repositories, logger) = (try currentFlowsForAPI(), repositories, logger)
        let report = try await offload {
            try repositories.replayer(flows: flows, logger: logger).reprocess(filter, actor: actor)
        }
        return try JSONCoding.response(report)
    }

    /// `POST /v1/status/files/{file}/retry`: a file refused whole read again from its kept copy through the current
    /// mappings, applied wholly or not at all (`Replayer.retry`); a file already applied is a conflict (409).
    func statusRetry(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        guard let text = context.parameters.get("file"), let fileID = Int64(text) else {
            throw APIError.badRequest("Numéro de fichier attendu.")
        }
        let actor = "api:" + (context.caller?.keyID ?? "anonymous")
        let (flows, repositories, logger) = (try currentFlowsForAPI(), repositories, logger)
        guard let file = try await offload({ try repositories.ledger.receivedFile(id: fileID) }) else {
            throw APIError.notFound("Fichier n° \(fileID) inconnu du registre.")
        }
        guard file.outcome != .applied else {
            throw APIError(
                .conflict, "already-applied", "Le fichier n° \(fileID) est déjà appliqué : jamais deux fois.")
        }
        do {
            let report = try await offload {
                try repositories.replayer(flows: flows, logger: logger).retry(fileID: fileID, actor: actor)
            }
            var shown = report
            shown.keptPath = nil
            return try JSONCoding.response(shown)
        } catch let error as ReplayError {
            throw APIError(.conflict, "retry-impossible", error.description)
        }
    }

    /// `currentFlows()`, a mapping folder that no longer loads answered 409 with its error.
    func currentFlowsForAPI() throws -> [String: FlowMapping] {
        do {
            return try currentFlows()
        } catch let error as ReplayError {
            throw APIError(.conflict, "mappings-invalid", error.description)
        }
    }

    /// The reports, from one reading of the followed cases: findings, CV deposit, indicators, dashboard (HTML).
    func report(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let query = request.uri.queryParameters
        func day(_ name: String) throws -> LocalDate? {
            guard let text = query.get(name) else { return nil }
            guard let date = LocalDate(iso: String(text)) else {
                throw APIError.badRequest("\(name) : une date AAAA-MM-JJ est attendue.")
            }
            return date
        }
        let asOf = try day("as-of") ?? Self.today()
        let (repositories, programmes, structures) = (repositories, programmes, structures)
        let cases = try await offload { try repositories.partnerRecords.followedCases() }
        let response: Response
        let name: String
        switch route.name {
        case .reportFindings:
            name = "findings"
            let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: asOf)
            response = try JSONCoding.response(
                ReportBody(report: name, asOf: asOf.iso, rows: ReportRows.findings(findings).objects))
        case .reportCVDeposit:
            name = "cv-deposit"
            var maxAge: CalendarSpan?
            if let text = query.get("max-age") {
                guard let span = CalendarSpan(parsing: String(text)) else {
                    throw APIError.badRequest("max-age : un nombre et une unité (days, weeks, months).")
                }
                maxAge = span
            }
            let report = CVDepositReport.compute(cases, programmes: programmes, asOf: asOf, maxAge: maxAge)
            response = try JSONCoding.response(
                ReportBody(
                    report: name, asOf: asOf.iso, complete: report.allComplete,
                    rows: ReportRows.cvDeposit(report).objects))
        case .reportIndicators:
            name = "indicators"
            guard let from = try day("from"), let to = try day("to") else {
                throw APIError.badRequest("from et to (AAAA-MM-JJ) sont requis.")
            }
            guard from <= to else { throw APIError.badRequest("from doit précéder to.") }
            let indicators = Indicators.compute(
                cases, programmes: programmes, structures: structures, from: from, to: to)
            response = try JSONCoding.response(
                ReportBody(
                    report: name, from: from.iso, to: to.iso, rows: ReportRows.indicators(indicators).objects,
                    per: ReportRows.per(indicators).objects))
        default:
            name = "dashboard"
            let from = try day("from") ?? Self.dashboardStart(asOf)
            guard from <= asOf else { throw APIError.badRequest("from doit précéder as-of.") }
            response = Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: dashboard(cases, from: from, to: asOf))))
        }
        await audit(route, request, context, action: "read-report", subjectKind: .report, subject: name, status: 200)
        return response
    }

    /// The dashboard page of the followed cases for `from`…`to`, produced today: the API's and the console's.
    func dashboard(_ cases: [FollowedCase], from: LocalDate, to: LocalDate) -> String {
        DashboardRenderer.render(
            DashboardAssembly.data(
                programmes: programmes, structures: structures, cases: cases, from: from, to: to,
                generatedOn: Self.today()))
    }

    /// The dashboard's default period: the twelve months to `asOf`.
    static func dashboardStart(_ asOf: LocalDate) -> LocalDate { asOf.adding(months: -12).adding(days: 1) }

    /// Today in Paris.
    static func today() -> LocalDate { ParisTime.date(at: Int(Date().timeIntervalSince1970)) }
}
