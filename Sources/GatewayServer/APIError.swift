import Foundation
import GatewayTelemetry
import HTTPTypes
import Hummingbird
import NIOCore

/// An error the API answers with: a status, a stable code and a French message, as a JSON body. Messages never
/// carry personal data (masked values only, as the pipeline's issues already are).
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]
    /// Extra JSON (an import report) sent beside the error.
    var detail: Data?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var status: Int
            var code: String
            var message: String
        }
        var error: Inner
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = try JSONCoding.encoder.encode(
            Body(error: .init(status: status.code, code: code, message: message)))
        if let detail {
            // {"error":{…},"report":{…}}
            json.removeLast()
            json.append(contentsOf: Array(#","report":"#.utf8))
            json.append(detail)
            json.append(UInt8(ascii: "}"))
        }
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(data: json)))
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad-request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not-found", message) }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
}

enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}

/// Turns every error into a JSON body: the API's own, Hummingbird's (404, 405, 413…), and anything else as a 500
/// whose body says nothing of the cause (the log has its type, never its text).
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response)
        async throws -> Response
    {
        let started = ContinuousClock.now
        let response = try await respond(request, context: context, next: next)
        // The route's template, never the URI: paths and queries may carry names a partner chose.
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - started
        metrics.request(route: route, status: response.status.code, duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
                "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        return response
    }

    private func respond(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            metrics.error(kind: error.status.code >= 500 ? "server" : "client")
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            metrics.error(kind: error.status.code >= 500 ? "server" : "client")
            let code =
                switch error.status.code {
                case 404: "not-found"
                case 405: "method-not-allowed"
                case 413: "body-too-large"
                default: "http-\(error.status.code)"
                }
            return try APIError(error.status, code, error.body ?? error.status.reasonPhrase)
                .response(from: request, context: context)
        } catch is RequestTimeout {
            metrics.error(kind: "timeout")
            return try APIError(.serviceUnavailable, "timeout", "Délai de traitement dépassé ; réessayer plus tard.")
                .response(from: request, context: context)
        } catch {
            metrics.error(kind: "server")
            context.logger.error("request failed", metadata: ["error": "\(type(of: error))"])
            return try APIError(.internalServerError, "internal-error", "Erreur interne de la passerelle.")
                .response(from: request, context: context)
        }
    }
}

struct RequestTimeout: Error {}
