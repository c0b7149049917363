import Foundation
import GatewayCore
import GatewayFormats
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Mustache
import NIOCore

/// A staff member signed in to the console, as the session store keeps it (hummingbird-auth's sessions, in memory:
/// a restart signs everyone out). The role is read again from the account on every request.
public struct ConsoleSession: Codable, Sendable, Equatable {
    public var login: String
    /// The token every form of this session carries (`csrf`), compared on each POST.
    public var csrf: String
    /// When the session ends, whatever is done meanwhile (seconds since 1970).
    public var expiresAt: Double
    /// A one-time message for the next page (after an action and its redirect).
    public var flash: String?
}

/// How the console signs staff in.
public struct ConsoleConfiguration: Sendable {
    /// How long a session lasts from sign-in.
    public var sessionLifetime: Duration = .seconds(8 * 3600)
    /// Cookies marked `Secure` (sent over HTTPS only). `serve`/`api` set it unless they serve plain HTTP on loopback.
    public var secureCookies = true
    /// Failed sign-ins allowed at once from one address or for one login, then one a minute.
    public var signInFailureBurst: Double = 5
    public var signInFailureRate: Double = 1.0 / 60
    /// The clock sessions expire by (a test moves it).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}

/// The console's templates (swift-mustache, `Console/Templates/*.mustache`) and stylesheet, read once.
struct ConsoleTemplates: Sendable {
    let library: MustacheLibrary
    let stylesheet: String

    static let shared: Result<ConsoleTemplates, any Error> = Result { try load() }

    static func load() throws -> ConsoleTemplates {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Templates") else {
            throw APIStartError("Gabarits de la console introuvables.")
        }
        var library = MustacheLibrary()
        let names = try FileManager.default.contentsOfDirectory(atPath: base.path).sorted()
        for name in names where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: base.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        let stylesheet = try String(contentsOf: base.appendingPathComponent("console.css"), encoding: .utf8)
        return ConsoleTemplates(library: library, stylesheet: stylesheet)
    }

    /// The page `template` filled with `data`.
    func render(_ template: String, _ data: [String: Any]) throws -> String {
        guard let page = library.render(data, withTemplate: template) else {
            throw APIStartError("Gabarit inconnu : \(template).")
        }
        return page
    }
}

/// What a form posts (`application/x-www-form-urlencoded`), or a query string: names and values decoded by
/// Hummingbird's `URLEncodedFormDecoder` (`+` read as a space, as browsers send it).
struct FormFields: Sendable {
    var values: [String: String] = [:]

    init() {}

    init(_ encoded: String) throws {
        guard !encoded.isEmpty else { return }
        do {
            values = try URLEncodedFormDecoder().decode([String: String].self, from: encoded)
        } catch {
            throw ConsoleError.badRequest("Formulaire ou adresse mal formé.")
        }
    }

    subscript(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// A form's body, 64 KiB at most.
    static func read(_ request: Request) async throws -> FormFields {
        let buffer = try await request.body.collect(upTo: 64 << 10)
        return try FormFields(String(buffer: buffer))
    }
}

/// A quarantined record's raw text as the console shows it by default: every value reduced to its first character
/// (a NIR to its first three), the structure kept readable: XML tag and attribute names, JSON keys, separators.
public enum RawMasking {
    /// One value: a NIR keeps its first 3 characters, anything of 3 characters or fewer (a code, a sex, a flag)
    /// stays, anything longer keeps its first character.
    public static func value(_ text: String) -> String {
        if Masking.looksLikeNIR(text, lengths: 13...15) { return Masking.nir(text) }
        guard text.count > 3 else { return text }
        return String(text.prefix(1)) + String(repeating: "*", count: min(text.count - 1, 12))
    }

    /// A CSV record against its file's header, column by column, read by the gateway's own CSV reader (the
    /// separator found from the header, quoted cells read as one); nil when the two do not line up.
    public static func columns(header: String, record: String) -> [(name: String, value: String)]? {
        guard let reader = try? CSVReader(bytes: Array((header + "\n" + record + "\n").utf8), options: CSVOptions()),
            let first = try? reader.next(), reader.header.count == first.fields.count, reader.header.count > 1
        else { return nil }
        return zip(reader.header, first.fields).map { ($0, $1) }
    }

    /// The whole raw record, masked value by value.
    public static func mask(_ raw: String) -> String {
        var output = ""
        var token = ""
        var inTag = false
        var quote: Character?
        var tokenIsKey = false
        let characters = Array(raw)
        func flush(_ next: Int) {
            guard !token.isEmpty else { return }
            // A JSON key (a quoted word followed by a colon) and a tag's own names stay.
            var keep = inTag && quote == nil
            if tokenIsKey {
                var index = next + 1
                while index < characters.count, characters[index] == " " { index += 1 }
                keep = index < characters.count && characters[index] == ":"
            }
            output += keep ? token : value(token)
            token = ""
        }
        for (index, character) in characters.enumerated() {
            switch character {
            case "<" where quote == nil:
                flush(index)
                inTag = true
                output.append(character)
            case ">" where quote == nil:
                flush(index)
                inTag = false
                output.append(character)
            case "\"", "'":
                if quote == character {
                    flush(index)
                    quote = nil
                    tokenIsKey = false
                } else if quote == nil {
                    flush(index)
                    quote = character
                    tokenIsKey = !inTag && character == "\""
                } else {
                    token.append(character)
                }
                output.append(character)
            case ";", ",", "\t", "\n", "\r", " ", "=", ":", "{", "}", "[", "]", "|":
                // Inside quotes, a space, a colon or a comma belongs to the value: masked as one.
                if quote != nil && (character == " " || character == ":" || character == ",") {
                    token.append(character)
                } else {
                    flush(index)
                    output.append(character)
                }
            default:
                token.append(character)
            }
        }
        flush(characters.count)
        return output
    }
}

extension Response {
    /// An HTML page, never cached (it may hold what a session may see only).
    static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
                .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// After a form: back to a page with GET.
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}

/// A random token for a session or a form: 32 bytes, URL-safe base64, as an API key's secret.
func randomToken() -> String { GatewayStore.randomSecret() }

/// Two tokens compared in a time that does not depend on where they differ.
func sameToken(_ a: String, _ b: String) -> Bool {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard x.count == y.count, !x.isEmpty else { return false }
    return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}
