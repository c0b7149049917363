import CLibCurl
import Foundation

/// A plain-text mail in UTF-8, as RFC 5322 and MIME write it.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    public var date: Date
    /// Without the angle brackets: `<id>@insertion-gateway`.
    public var messageID: String

    public init(from: String, to: [String], subject: String, body: String, date: Date, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.date = date
        self.messageID = messageID
    }

    /// The message's bytes: headers (the subject as an RFC 2047 encoded word when it is not ASCII), then the body
    /// in base64 (any line length, any character), lines ended by CRLF. `Auto-Submitted` tells mail servers and
    /// people's rules it comes from a program (RFC 3834): no vacation replies.
    public func rendered() -> [UInt8] {
        var lines = [
            "From: " + from,
            "To: " + to.joined(separator: ", "),
            "Subject: " + Self.encodedHeader(Self.oneLine(subject)),
            "Date: " + Self.rfc5322Date(date),
            "Message-ID: <" + messageID + ">",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
            "",
        ]
        let encoded = Data(body.replacingOccurrences(of: "\r\n", with: "\n").utf8).base64EncodedString()
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[start..<end]))
            start = end
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A header value on one line: a line break in a rendered template would start a header of its own.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// ASCII text as is; otherwise UTF-8 base64 encoded words of at most 39 bytes each (64 characters), on
    /// folded lines, never splitting a character.
    static func encodedHeader(_ text: String) -> String {
        guard !text.allSatisfy({ $0.isASCII && $0 != "=" && $0 != "?" }) else { return text }
        var words: [[UInt8]] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39 {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}

/// Where mails go: an SMTP server, or a folder of `.eml` files (a pick-up folder, or a machine without a server).
public protocol MailSender: Sendable {
    /// The server or folder, without credentials, for logs and the journal.
    var label: String { get }
    func send(_ message: MailMessage) throws
}

/// A mail server, reached over libcurl's SMTP: `smtp://host:port` with STARTTLS required, or `smtps://host:port`
/// with TLS from the start; the certificate and host name are always verified. A mail that is refused or a
/// server that does not answer throws a `TransportError`.
public struct SMTPServer: Sendable, Equatable {
    public var url: String
    public var user: String?
    public var password: SecretReference?
    public var caFile: String?
    public var connectTimeout = 10
    public var idleTimeout = 30

    public init(url: String) {
        self.url = url
    }
}

public final class SMTPMailer: MailSender, @unchecked Sendable {
    public let server: SMTPServer
    private let password: String?
    private let lock = NSLock()
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// A mailer to `server`; `environment` holds the variables its password may name.
    public init(server: SMTPServer, environment: [String: String] = [:]) throws {
        _ = Self.globalInit
        guard let url = URL(string: server.url), ["smtp", "smtps"].contains(url.scheme?.lowercased()),
            url.host != nil
        else {
            throw TransportError(.local, "serveur de courriel : smtp://hôte:port ou smtps://hôte:port attendu")
        }
        self.server = server
        password = try server.password?.resolve(environment: environment)
    }

    public var label: String { server.url }

    public func send(_ message: MailMessage) throws {
        let bytes = message.rendered()
        // One handle per mail: a mail is rare, a connection kept open between two would be closed by the server.
        lock.lock()
        defer { lock.unlock() }
        guard let handle = curl_easy_init() else { throw TransportError(.local, "curl_easy_init a échoué") }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in message.to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        let code = bytes.withUnsafeBufferPointer { buffer -> CURLcode in
            guard let input = fmemopen(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count, "rb")
            else { return CURLE_READ_ERROR }
            defer { fclose(input) }
            let body = Body()
            body.input = input
            let context = Unmanaged.passUnretained(body).toOpaque()
            gw_curl_setopt_string(handle, CURLOPT_URL, server.url)
            gw_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            gw_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
            gw_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, server.connectTimeout)
            gw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            gw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, server.idleTimeout)
            gw_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, server.idleTimeout)
            gw_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            gw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            gw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            gw_curl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
            if let ca = server.caFile { gw_curl_setopt_string(handle, CURLOPT_CAINFO, ca) }
            if let user = server.user { gw_curl_setopt_string(handle, CURLOPT_USERNAME, user) }
            if let password { gw_curl_setopt_string(handle, CURLOPT_PASSWORD, password) }
            gw_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(message.from)>")
            gw_curl_setopt_list(handle, CURLOPT_MAIL_RCPT, recipients)
            gw_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            gw_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(buffer.count))
            gw_curl_setopt_callback(handle, CURLOPT_READFUNCTION, curlRead)
            gw_curl_setopt_pointer(handle, CURLOPT_READDATA, context)
            return errorBuffer.withUnsafeMutableBufferPointer { errors in
                errors[0] = 0
                gw_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                return curl_easy_perform(handle)
            }
        }
        guard code != CURLE_OK else { return }
        let (status, message) = CurlTransport.failure(code, on: handle, errorBuffer: errorBuffer)
        // A 4xx answer (mailbox busy, greylisting, server overloaded) is worth retrying as a broken connection is.
        let kind = (400..<500).contains(status) ? .unreachable : CurlTransport.kind(of: code, status: 0)
        throw TransportError(kind, message)
    }
}

/// Mails written as `.eml` files into a folder (complete before they appear: written under a temporary name,
/// then renamed), for a mail system that picks them up, or to read them where no server is configured.
public struct MailFolder: MailSender {
    public let folder: String

    public init(folder: String) {
        self.folder = folder
    }

    public var label: String { "dossier:" + folder }

    public func send(_ message: MailMessage) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let name = message.messageID.prefix { $0 != "@" } + ".eml"
            let path = (folder as NSString).appendingPathComponent(String(name))
            let partial = (folder as NSString).appendingPathComponent(temporaryUploadName(String(name)))
            try Data(message.rendered()).write(to: URL(fileURLWithPath: partial))
            guard rename(partial, path) == 0 else { throw TransportError(.local, "renommage impossible : \(path)") }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.local, "courriel non écrit dans \(folder) : \(error.localizedDescription)")
        }
    }
}
