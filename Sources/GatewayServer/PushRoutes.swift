import Foundation
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTelemetry
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
        var shape = recordsArrayKey == nil ? nil : JSONRecordsBody()
        if let key = recordsArrayKey, !key.isEmpty {
            try handle.write(contentsOf: Data(("{" + JSONValueQuote.quote(key) + ":").utf8))
        }
        var out: [UInt8] = []
        for try await buffer in request.body {
            total += buffer.readableBytes
            if total > limit { throw Self.tooLarge(limit) }
            guard shape != nil else {
                try handle.write(contentsOf: buffer.readableBytesView)
                continue
            }
            out.removeAll(keepingCapacity: true)
            try shape!.feed(buffer.readableBytesView, into: &out)
            try handle.write(contentsOf: out)
        }
        guard total > 0 else { throw APIError.badRequest("Corps de la requête vide.") }
        if shape != nil {
            out.removeAll(keepingCapacity: true)
            try shape!.finish(into: &out)
            try handle.write(contentsOf: out)
        }
        if let key = recordsArrayKey, !key.isEmpty { try handle.write(contentsOf: Data("}".utf8)) }
    }

    static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "body-too-large", "Corps de la requête trop volumineux (au plus \(limit) octets).")
    }

    func importUpload(
        _ upload: Upload, flow: FlowMapping, _ route: APIRoute, _ request: Request, _ context: APIContext,
        action: String
    ) async throws -> Response {
        let partner = context.caller?.partner ?? flow.partner
        let (repositories, keep, logger, flows) = (repositories, configuration.keepDirectory, logger, flows)
        let started = ContinuousClock.now
        // The upload is removed by the import's own thread once it is done, not here: after a request timeout the
        // import still runs to its end, and must find its file.
        var report = try await offload {
            defer { upload.remove() }
            var pipeline = FilePipeline(flow: flow, logger: logger)
            pipeline.alternatives = { Array(flows.values) }
            return try pipeline.importFile(
                path: upload.path, ledger: repositories.ledger, partner: partner, keepDirectory: keep)
        }
        report.file = upload.name
        report.keptPath = nil
        metrics.imported(
            flow: flow.id, fileOutcome: report.outcome, accepted: report.alreadyReceived ? 0 : report.accepted,
            duplicates: report.alreadyReceived ? 0 : report.duplicates,
            quarantined: report.alreadyReceived ? 0 : report.quarantined, seconds: ContinuousClock.now - started)
        if report.outcome == .rejected || report.outcome == .unreadable {
            onFileRefused?(
                RefusedPush(
                    flow: flow.id, partner: partner, file: upload.name, outcome: report.outcome,
                    sha256: report.sha256))
        }
        let status: HTTPResponse.Status =
            switch report.outcome {
            case .applied: .created
            case .alreadyReceived where report.previousOutcome == .applied: .ok
            case .alreadyReceived, .rejected, .unreadable: .unprocessableContent
            }
        await audit(
            route, request, context, action: action, subjectKind: .file,
            subject: report.fileID.map { "file:\($0)" } ?? upload.name, status: status.code)
        guard status != .unprocessableContent else {
            var error = APIError(
                .unprocessableContent, report.outcome == .alreadyReceived ? "already-refused" : report.outcome.rawValue,
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

/// The body of `POST /v1/flows/{flow}/records`, checked as it streams: exactly one JSON array of records, or
/// NDJSON (one object a line, written out as an array), and nothing after it. A UTF-8 byte order mark at the very
/// start is dropped, as the file readers drop it; anywhere else it is content.
struct JSONRecordsBody {
    private enum Mode { case start, array, lines }
    private var mode = Mode.start
    /// Bytes of a byte order mark matched at the very start.
    private var markMatched = 0
    private var sawAnything = false
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Array: its closing bracket was read. Lines: the current line's object is complete.
    private var closed = false
    private var objects = 0

    mutating func feed(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) throws(APIError) {
        for byte in bytes {
            if !sawAnything && markMatched < 3 && byte == [0xEF, 0xBB, 0xBF][markMatched] {
                markMatched += 1
                continue
            }
            if !sawAnything && markMatched > 0 && markMatched < 3 { throw Self.invalid("octets invalides au début") }
            sawAnything = true
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                out.append(byte)
                continue
            }
            if depth == 0 {
                if GatewayAPI.isJSONSpace(byte) {
                    if byte == 0x0A && mode == .lines { closed = false }
                    out.append(byte)
                    continue
                }
                switch mode {
                case .start:
                    if byte == UInt8(ascii: "[") {
                        mode = .array
                    } else if byte == UInt8(ascii: "{") {
                        mode = .lines
                        out.append(UInt8(ascii: "["))
                    } else {
                        throw APIError.badRequest(
                            "Un tableau JSON d'enregistrements ([ … ]) ou un objet par ligne (NDJSON) est attendu.")
                    }
                case .array:
                    throw Self.invalid("contenu après la fin du tableau JSON")
                case .lines:
                    guard byte == UInt8(ascii: "{"), !closed else {
                        throw Self.invalid("un seul objet JSON par ligne est attendu")
                    }
                    if objects > 0 { out.append(UInt8(ascii: ",")) }
                }
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    closed = true
                    objects += 1
                }
                if depth < 0 { throw Self.invalid("crochet ou accolade fermante en trop") }
            default: break
            }
            out.append(byte)
        }
    }

    mutating func finish(into out: inout [UInt8]) throws(APIError) {
        guard sawAnything, mode != .start else { throw APIError.badRequest("Corps de la requête vide.") }
        guard depth == 0, !inString else { throw Self.invalid("JSON incomplet (tableau ou objet non fermé)") }
        if mode == .lines { out.append(UInt8(ascii: "]")) }
    }

    private static func invalid(_ what: String) -> APIError {
        APIError.badRequest("Corps JSON refusé : \(what). Un seul tableau d'enregistrements, ou un objet par ligne.")
    }
}
