import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// A folder of a partner's outbox and the outbound flow whose files it holds.
struct OutboxArea: Sendable {
    /// `candidates`, `alerts` or `notices`.
    var name: String
    var flow: String
    var folder: String
}

/// One file of an outbox, as listed.
struct OutboxEntry: Codable, Sendable {
    var area: String
    var flow: String
    var name: String
    var size: Int
    var modifiedAt: String
    var href: String
}

/// A received file with what was rejected of it.
struct RejectionSummary: Codable, Sendable {
    var fileID: Int64
    var flow: String
    var name: String
    var receivedAt: String
    var outcome: FileOutcome
    var records: Int
    var quarantined: Int
    var notice: String
    var issues: [ReportedRejection]
}

struct ReportedRejection: Codable, Sendable {
    /// Record number (1-based); nil for the file.
    var record: Int?
    var line: Int?
    var type: String
    var field: String?
    var value: String?
    var message: String
    var hint: String
}

extension GatewayAPI {
    /// The areas of `partner`'s outbox that the caller's `flow:<flow>:out` scopes open, in the folders the CLI's
    /// emitters write: candidates in `<outbox>/<partner>/`, alerts in `operators/<partner>/`, notices in
    /// `notices/<partner>/`.
    func outboxAreas(partner: String, caller: APIKeyRecord) -> [OutboxArea] {
        let root = configuration.outboxDirectory as NSString
        var areas: [OutboxArea] = []
        for flow in flows.values.sorted(by: { $0.id < $1.id }) {
            guard caller.scopes.contains(.pull(flow: flow.id)) else { continue }
            switch flow.record.entity.name {
            case Catalogue.candidate.name where flow.partner == partner:
                areas.append(
                    OutboxArea(name: "candidates", flow: flow.id, folder: root.appendingPathComponent(partner)))
            case Catalogue.statusAlert.name:
                areas.append(
                    OutboxArea(
                        name: "alerts", flow: flow.id,
                        folder: (root.appendingPathComponent("operators") as NSString).appendingPathComponent(partner)))
            case Catalogue.rejectionNotice.name:
                areas.append(
                    OutboxArea(
                        name: "notices", flow: flow.id,
                        folder: (root.appendingPathComponent("notices") as NSString).appendingPathComponent(partner)))
            default: continue
            }
        }
        return areas
    }

    func callerAreas(_ context: APIContext) throws -> (String, [OutboxArea]) {
        guard let caller = context.caller, let partner = context.parameters.get("partner") else {
            throw APIError.forbidden("Clé requise.")
        }
        let areas = outboxAreas(partner: partner, caller: caller)
        guard !areas.isEmpty else {
            throw APIError.forbidden("Cette clé n'a aucune portée de retrait (flow:<flux>:out) pour ce partenaire.")
        }
        return (partner, areas)
    }

    /// `GET /v1/partners/{partner}/outbox`: the files waiting for the partner, newest first.
    func outbox(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let (partner, areas) = try callerAreas(context)
        let entries = try await offload {
            var entries: [OutboxEntry] = []
            let manager = FileManager.default
            let formatter = ISO8601DateFormatter()
            for area in areas {
                guard let names = try? manager.contentsOfDirectory(atPath: area.folder) else { continue }
                for name in names where !name.hasPrefix(".") {
                    let path = (area.folder as NSString).appendingPathComponent(name)
                    guard let attributes = try? manager.attributesOfItem(atPath: path),
                        attributes[.type] as? FileAttributeType == .typeRegular
                    else { continue }
                    entries.append(
                        OutboxEntry(
                            area: area.name, flow: area.flow, name: name,
                            size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                            modifiedAt: formatter.string(from: attributes[.modificationDate] as? Date ?? Date()),
                            href: "/v1/partners/\(partner)/outbox/\(area.name)/\(name)"))
                }
            }
            return entries.sorted { ($0.modifiedAt, $0.name) > ($1.modifiedAt, $1.name) }
        }
        await audit(
            route, request, context, action: "read-outbox", subjectKind: .outbox, subject: "partner:\(partner)",
            status: 200)
        return try JSONCoding.response(OutboxListing(partner: partner, files: entries))
    }

    /// `GET /v1/partners/{partner}/outbox/{area}/{name}`: one file, as the emitter wrote it.
    func outboxFile(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let (_, areas) = try callerAreas(context)
        let areaName = context.parameters.get("area") ?? ""
        guard let area = areas.first(where: { $0.name == areaName }) else {
            throw APIError.notFound("Dossier inconnu ou non autorisé : \(Self.printable(areaName)).")
        }
        let name = try Self.fileName(context.parameters.get("name") ?? "")
        guard name == context.parameters.get("name") else { throw APIError.notFound("Fichier inconnu.") }
        let path = (area.folder as NSString).appendingPathComponent(name)
        guard let data = try await offload({ FileManager.default.contents(atPath: path) }) else {
            throw APIError.notFound("Fichier inconnu : \(Self.printable(name)).")
        }
        await audit(
            route, request, context, action: "read-outbox-file", subjectKind: .outboxFile,
            subject: "\(area.name)/\(name)", status: 200)
        return Response(
            status: .ok,
            headers: [
                .contentType: Self.mediaType(name, charset: flows[area.flow]?.encoding),
                .contentDisposition: "attachment; filename=\"\(name)\"",
            ], body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }

    static func mediaType(_ name: String, charset: String?) -> String {
        let type =
            switch (name as NSString).pathExtension.lowercased() {
            case "csv": "text/csv"
            case "json": "application/json"
            case "xml": "application/xml"
            case "html": "text/html"
            default: "application/octet-stream"
            }
        guard type.hasPrefix("text/"), let charset else { return type }
        return type + "; charset=" + charset
    }

    /// `GET /v1/partners/{partner}/rejections`: the partner's files (of the flows it may push) that were refused
    /// or had records quarantined, each with its errors (values masked) and a fix hint.
    func rejections(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        guard let caller = context.caller, let partner = context.parameters.get("partner") else {
            throw APIError.forbidden("Clé requise.")
        }
        let allowed = Self.inboundFlows(caller)
        guard !allowed.isEmpty else {
            throw APIError.forbidden("Cette clé n'a aucune portée de dépôt (flow:<flux>:in) : pas d'avis de rejet.")
        }
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 100, 1), 1_000)
        let repositories = repositories
        let summaries = try await offload {
            let files = try repositories.ledger.receivedFiles().filter {
                $0.partner == partner && allowed.contains($0.flow)
                    && $0.needsNotice(listingAnomalies: flows[$0.flow]?.noticeListsAnomalies == true)
            }.suffix(limit).reversed()
            return try files.map { file in
                var issues = file.issues.map { Self.rejection($0, record: nil) }
                if let (_, records) = try repositories.ledger.rejections(fileID: file.id) {
                    for (index, _, recordIssues) in records {
                        issues += recordIssues.map { Self.rejection($0, record: index + 1) }
                    }
                }
                return RejectionSummary(
                    fileID: file.id, flow: file.flow, name: file.name, receivedAt: file.receivedAt,
                    outcome: file.outcome, records: file.records, quarantined: file.quarantined,
                    notice: "/v1/partners/\(partner)/rejections/\(file.id)", issues: issues)
            }
        }
        await audit(
            route, request, context, action: "read-rejections", subjectKind: .partner,
            subject: "partner:\(partner)", status: 200)
        return try JSONCoding.response(summaries)
    }

    static func rejection(_ issue: ValidationIssue, record: Int?) -> ReportedRejection {
        ReportedRejection(
            record: record, line: issue.line, type: issue.type.rawValue, field: issue.field, value: issue.value,
            message: issue.message, hint: Outbound.hint(for: issue.type))
    }

    /// `GET /v1/partners/{partner}/rejections/{file}`: the rejection notice of one file, written by the same
    /// emitter as `insertion-gateway notice` (the partner's encoding and delimiter), also left in its outbox.
    func rejectionNotice(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        guard let caller = context.caller, let partner = context.parameters.get("partner") else {
            throw APIError.forbidden("Clé requise.")
        }
        guard let fileID = context.parameters.get("file").flatMap({ Int64($0) }) else {
            throw APIError.badRequest("Numéro de fichier attendu.")
        }
        let allowed = Self.inboundFlows(caller)
        guard
            let notice = try await noticeResponse(
                fileID: fileID, where: { $0.partner == partner && allowed.contains($0.flow) })
        else { throw APIError.notFound("Fichier n° \(fileID) inconnu pour ce partenaire.") }
        await audit(
            route, request, context, action: "read-rejection-notice", subjectKind: .file, subject: "file:\(fileID)",
            status: 200)
        return notice
    }

    /// The rejection notice of file `fileID` as a CSV download, written by the same emitter as
    /// `insertion-gateway notice` (the partner's encoding and delimiter) and left in the partner's outbox; nil when
    /// the file is unknown or `allowed` refuses it. The API's partners and the console both fetch it so.
    func noticeResponse(fileID: Int64, where allowed: @escaping @Sendable (ReceivedFile) -> Bool) async throws
        -> Response?
    {
        let (repositories, flows, outbox) = (repositories, flows, configuration.outboxDirectory)
        let written = try await offload { () -> (Data, String)? in
            guard let file = try repositories.ledger.receivedFile(id: fileID), allowed(file) else { return nil }
            let notice = try repositories.outbound(flows: flows).notice(fileID: fileID, directory: outbox)
            guard let data = FileManager.default.contents(atPath: notice.path) else { return nil }
            return (data, flows[file.flow]?.format == .csv ? flows[file.flow]?.encoding ?? "utf-8" : "utf-8")
        }
        guard let (data, charset) = written else { return nil }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=\(charset)",
                .contentDisposition: "attachment; filename=\"rejets-\(fileID).csv\"",
            ], body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}

/// `{"partner": …, "files": [...]}`.
struct OutboxListing: Encodable {
    var partner: String
    var files: [OutboxEntry]
}
