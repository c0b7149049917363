import Foundation
import GatewayMapping
import GatewayPipeline
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

extension GatewayAPI {
    /// `POST /v1/flows/{flow}/files?name=…`: the body is a file of the flow, streamed to disk, then imported by the
    /// same pipeline and ledger as a file picked up from a folder.
    func pushFile(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let flow = try flow(context)
        let name =
            try request.uri.queryParameters.get("name").map { try Self.fileName(String($0)) }
            ?? "depot-api-\(flow.id)-\(Self.stamp())"
        let upload = try Upload(directory: configuration.uploadDirectory, name: name)
        do {
            try await receive(request, into: upload, recordsArrayKey: nil)
        } catch {
            upload.remove()
            throw error
        }
        return try await importUpload(upload, flow: flow, route, request, context, action: "push-file")
    }

    /// `POST /v1/flows/{flow}/records`: a JSON array of records in the flow's JSON layout, imported as one file
    /// (wrapped in the layout's array key when it has one), so that mapping, checks and ledger are the same.
    func pushRecords(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let flow = try flow(context)
        guard let layout = ([flow] + flow.variants).first(where: { $0.format == .json }) else {
            throw APIError(
                .unsupportedMediaType, "no-json-layout",
                "Le flux « \(flow.id) » ne se dépose pas en JSON : utiliser /v1/flows/\(flow.id)/files.")
        }
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, "unsupported-media-type", "Content-Type application/json attendu.")
        }
        let upload = try Upload(
            directory: configuration.uploadDirectory, name: "depot-api-\(flow.id)-\(Self.stamp()).json")
        do {
            try await receive(request, into: upload, recordsArrayKey: layout.jsonArrayKey ?? "")
        } catch {
            upload.remove()
            throw error
        }
        return try await importUpload(upload, flow: flow, route, request, context, action: "push-records")
    }

    func flow(_ context: APIContext) throws -> FlowMapping {
        guard let id = context.parameters.get("flow"), let flow = flows[id] else {
            throw APIError.notFound("Flux inconnu.")
        }
        return flow
    }

    /// Streams the body to the upload's file, never holding it whole; refuses it past the size limit. With
    /// `recordsArrayKey`, the body must be a JSON array; a non-empty key wraps it: `{"key": [...]}`.
    func receive(_ request: Request, into upload: Upload, recordsArrayKey: String?) async throws {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Self.tooLarge(limit)
        }
        guard FileManager.default.createFile(atPath: upload.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: upload.path)
        else { throw APIError(.internalServerError, "upload-failed", "Écriture du dépôt impossible.") }
        defer { try? handle.close() }
        var total = 0
        var sawFirstByte = recordsArrayKey == nil
        if let key = recordsArrayKey, !key.isEmpty {
            try handle.write(contentsOf: Data(("{" + JSONValueQuote.quote(key) + ":").utf8))
        }
        for try await buffer in request.body {
            total += buffer.readableBytes
            if total > limit { throw Self.tooLarge(limit) }
            if !sawFirstByte, let first = buffer.readableBytesView.first(where: { !Self.isJSONSpace($0) }) {
                guard first == UInt8(ascii: "[") else {
                    throw APIError.badRequest("Un tableau JSON d'enregistrements est attendu ([ … ]).")
                }
                sawFirstByte = true
            }
            try handle.write(contentsOf: buffer.readableBytesView)
        }
        guard total > 0, sawFirstByte else { throw APIError.badRequest("Corps de la requête vide.") }
        if let key = recordsArrayKey, !key.isEmpty { try handle.write(contentsOf: Data("}".utf8)) }
    }

    static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0xEF || byte == 0xBB || byte == 0xBF
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body-too-large", "Corps de la requête trop volumineux (au plus \(limit) octets).")
    }

    func importUpload(
        _ upload: Upload, flow: FlowMapping, _ route: APIRoute, _ request: Request, _ context: APIContext,
        action: String
    ) async throws -> Response {
        let partner = context.caller?.partner ?? flow.partner
        let (store, keep, logger, flows) = (store, configuration.keepDirectory, logger, flows)
        let started = ContinuousClock.now
        // The upload is removed by the import's own thread once it is done, not here: after a request timeout the
        // import still runs to its end, and must find its file.
        var report = try await offload {
            defer { upload.remove() }
            var pipeline = FilePipeline(flow: flow, logger: logger)
            pipeline.alternatives = { Array(flows.values) }
            return try pipeline.importFile(path: upload.path, store: store, partner: partner, keepDirectory: keep)
        }
        report.file = upload.name
        report.keptPath = nil
        metrics.imported(
            flow: flow.id, fileOutcome: report.outcome, accepted: report.alreadyReceived ? 0 : report.accepted,
            duplicates: report.alreadyReceived ? 0 : report.duplicates,
            quarantined: report.alreadyReceived ? 0 : report.quarantined, seconds: ContinuousClock.now - started)
        let status: HTTPResponse.Status =
            switch report.outcome {
            case "applied": .created
            case "already-received" where report.previousOutcome == "applied": .ok
            default: .unprocessableContent
            }
        await audit(
            route, request, context, action: action, subjectKind: "file",
            subject: report.fileID.map { "file:\($0)" } ?? upload.name, status: status.code)
        guard status != .unprocessableContent else {
            var error = APIError(
                .unprocessableContent, report.outcome == "already-received" ? "already-refused" : report.outcome,
                "Fichier refusé dans son ensemble : rien n'a été appliqué (voir report.errors).")
            error.detail = try JSONCoding.encoder.encode(report)
            throw error
        }
        return try JSONCoding.response(report, status: status)
    }

    /// A file name from the client: its last path component, printable, without a leading dot.
    static func fileName(_ raw: String) throws -> String {
        let name = String(
            raw.split(separator: "/").last.map(String.init)?.unicodeScalars.filter {
                $0.value >= 0x20 && $0.value != 0x7F && $0 != "\\"
            }.map(Character.init) ?? [])
        guard !name.isEmpty, !name.hasPrefix("."), name.utf8.count <= 200 else {
            throw APIError.badRequest("Nom de fichier invalide.")
        }
        return name
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        return formatter.string(from: Date()) + "-" + UUID().uuidString.prefix(8).lowercased()
    }
}

/// An upload's own folder (the file keeps the client's name, which some flows read), removed after the import.
struct Upload: Sendable {
    let folder: String
    let name: String
    var path: String { (folder as NSString).appendingPathComponent(name) }

    init(directory: String, name: String) throws {
        folder = (directory as NSString).appendingPathComponent(UUID().uuidString)
        self.name = name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

enum JSONValueQuote {
    static func quote(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
