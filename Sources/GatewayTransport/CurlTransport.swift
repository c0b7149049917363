import CLibCurl
import Foundation

/// SFTP, FTPS and HTTPS through libcurl: one easy handle per transport, so that the operations of a run share
/// one connection.
///
/// - SFTP: key or password login; the host is checked against a known_hosts file or a pinned SHA-256 of its key
///   (one of them is required). Uploads are renamed with an SFTP `rename` after the transfer.
/// - FTPS: TLS is required (`ftps://` implicit, `ftp://` with `AUTH TLS`), certificate and host name verified.
///   Uploads are renamed with `RNFR`/`RNTO`.
/// - HTTPS: a WebDAV folder (what nginx's `dav_methods PUT DELETE MOVE` with `autoindex_format json` offers):
///   the folder URL answers a JSON array of `{"name", "type", "size", "mtime"}`; a file is fetched with GET,
///   sent with PUT under a temporary name, then `MOVE`d with `Overwrite: F`, archived with `MOVE`, deleted with
///   `DELETE`.
public final class CurlTransport: Transport, @unchecked Sendable {
    public let endpoint: Endpoint
    /// The location's URL, ending with `/`.
    let base: String
    let scheme: String
    /// The location's path on the server, decoded (SFTP quote commands take paths, not URLs).
    let remotePath: String
    private let password: String?
    private let passphrase: String?
    private let token: String?
    // The handle is used by one operation at a time: the lock keeps it that way.
    private let lock = NSLock()
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// A transport to `endpoint`; `environment` holds the variables its secrets may name (`password-env`…).
    public init(endpoint: Endpoint, environment: [String: String] = [:]) throws {
        _ = Self.globalInit
        self.endpoint = endpoint
        var location = endpoint.location
        if !location.hasSuffix("/") { location += "/" }
        guard let url = URL(string: location), let scheme = url.scheme?.lowercased(), url.host != nil else {
            throw TransportError(.local, "URL invalide : \(endpoint.location)")
        }
        self.base = location
        self.scheme = scheme
        let path = url.path.removingPercentEncoding ?? url.path
        self.remotePath = path.hasPrefix("/~/") ? String(path.dropFirst(3)) : path
        password = try endpoint.password?.resolve(environment: environment)
        passphrase = try endpoint.keyPassphrase?.resolve(environment: environment)
        token = try endpoint.token?.resolve(environment: environment)
        guard let handle = curl_easy_init() else { throw TransportError(.local, "curl_easy_init a échoué") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    public var label: String { "\(endpoint.kind.rawValue):\(base)" }
    public var clockIsLocal: Bool { false }

    // MARK: Operations

    public func list() throws -> [RemoteFile] {
        let body = Body()
        try perform(url: base, body: body) { handle in
            if self.endpoint.kind == .https {
                let headers = curl_slist_append(nil, "Accept: application/json")
                return [headers].compactMap { $0 }
            }
            return []
        } configure: { handle, lists in
            if let headers = lists.first { gw_curl_setopt_list(handle, CURLOPT_HTTPHEADER, headers) }
        }
        switch endpoint.kind {
        case .https: return try Self.parseJSONListing(body.data)
        default: return Self.parseUnixListing(String(decoding: body.data, as: UTF8.self))
        }
    }

    public func download(_ name: String, to localPath: String) throws -> Int64 {
        guard let file = fopen(localPath, "wb") else {
            throw TransportError(.local, "écriture impossible : \(localPath)")
        }
        let body = Body()
        body.file = file
        defer { fclose(file) }
        try perform(url: url(name), body: body) { _ in
            []
        } configure: { _, _ in
        }
        guard fflush(file) == 0 else { throw TransportError(.local, "écriture incomplète : \(localPath)") }
        return body.bytes
    }

    public func upload(_ localPath: String, as name: String) throws {
        if try exists(name) { throw TransportError(.alreadyExists, "\(name) existe déjà : pas de remplacement") }
        guard let file = fopen(localPath, "rb") else {
            throw TransportError(.local, "lecture impossible : \(localPath)")
        }
        defer { fclose(file) }
        var info = stat()
        fstat(fileno(file), &info)
        let temporary = temporaryUploadName(name)
        let body = Body()
        body.input = file
        try perform(url: url(temporary), body: body, reading: true) { _ in
            switch self.endpoint.kind {
            case .sftp:
                return [
                    curl_slist_append(
                        nil, "rename \(Self.quoted(self.path(temporary))) \(Self.quoted(self.path(name)))")
                ].compactMap { $0 }
            case .ftps:
                var list = curl_slist_append(nil, "RNFR \(temporary)")
                list = curl_slist_append(list, "RNTO \(name)")
                return [list].compactMap { $0 }
            default: return []
            }
        } configure: { handle, lists in
            gw_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            gw_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(info.st_size))
            if self.endpoint.kind == .ftps {
                // No file is ever created under the final name but by the rename.
                gw_curl_setopt_long(handle, CURLOPT_FTP_CREATE_MISSING_DIRS, Int(CURLFTP_CREATE_DIR.rawValue))
            }
            if let list = lists.first { gw_curl_setopt_list(handle, CURLOPT_POSTQUOTE, list) }
        }
        if endpoint.kind == .https {
            try davMove(from: url(temporary), to: url(name))
        }
    }

    public func move(_ name: String, toFolder folder: String, as newName: String) throws {
        let folderPath = folder.hasPrefix("/") ? folder : (remotePath as NSString).appendingPathComponent(folder)
        let target = (folderPath as NSString).appendingPathComponent(newName)
        switch endpoint.kind {
        case .https:
            var folderURL = folder.hasPrefix("/") ? rootURL() + Self.encode(folder) : base + Self.encode(folder)
            if !folderURL.hasSuffix("/") { folderURL += "/" }
            try davMakeFolder(folderURL)
            try davMove(from: url(name), to: folderURL + Self.encode(newName))
        case .sftp:
            // OpenSSH's server renames with link(2) and refuses an existing target; other servers may replace
            // it: check first.
            if try folderListing(folder)?.contains(where: { $0.name == newName }) == true {
                throw TransportError(.alreadyExists, "\(newName) existe déjà dans \(folder)")
            }
            try quote([
                "*mkdir \(Self.quoted(folderPath))",
                "rename \(Self.quoted(path(name))) \(Self.quoted(target))",
            ])
        default:
            // RNTO replaces on most FTP servers: check first (a race with another writer remains possible).
            if try folderListing(folder)?.contains(where: { $0.name == newName }) == true {
                throw TransportError(.alreadyExists, "\(newName) existe déjà dans \(folder)")
            }
            try quote(["*MKD \(folderPath)", "RNFR \(name)", "RNTO \(target)"])
        }
    }

    public func delete(_ name: String) throws {
        switch endpoint.kind {
        case .https:
            try perform(url: url(name), body: Body()) { _ in
                []
            } configure: { handle, _ in
                gw_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "DELETE")
            }
        case .sftp: try quote(["rm \(Self.quoted(path(name)))"])
        default: try quote(["DELE \(name)"])
        }
    }

    // MARK: Plumbing

    /// The files of a folder of the location; nil when the folder does not exist yet.
    private func folderListing(_ folder: String) throws -> [RemoteFile]? {
        var folderURL = folder.hasPrefix("/") ? rootURL() + Self.encode(folder) : base + Self.encode(folder)
        if !folderURL.hasSuffix("/") { folderURL += "/" }
        do {
            return try CurlTransport(endpoint: with(location: folderURL)).list()
        } catch let error as TransportError where error.kind == .notFound || error.kind == .refused {
            return nil
        }
    }

    private func with(location: String) -> Endpoint {
        var copy = endpoint
        copy.location = location
        return copy
    }

    func url(_ name: String) -> String { base + Self.encode(name) }

    func path(_ name: String) -> String { (remotePath as NSString).appendingPathComponent(name) }

    private func rootURL() -> String {
        guard let url = URL(string: base), let scheme = url.scheme, let host = url.host else { return base }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    static func encode(_ name: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ";?#%")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    static func quoted(_ path: String) -> String {
        "\"" + path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Commands run on the server without a transfer (SFTP quote commands, FTP commands).
    private func quote(_ commands: [String]) throws {
        try perform(url: base, body: Body()) { _ in
            var list: UnsafeMutablePointer<curl_slist>?
            for command in commands { list = curl_slist_append(list, command) }
            return [list].compactMap { $0 }
        } configure: { handle, lists in
            gw_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
            if let list = lists.first { gw_curl_setopt_list(handle, CURLOPT_QUOTE, list) }
        }
    }

    private func davMove(from: String, to: String) throws {
        try perform(url: from, body: Body()) { _ in
            var list = curl_slist_append(nil, "Destination: \(to)")
            list = curl_slist_append(list, "Overwrite: F")
            return [list].compactMap { $0 }
        } configure: { handle, lists in
            gw_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "MOVE")
            if let list = lists.first { gw_curl_setopt_list(handle, CURLOPT_HTTPHEADER, list) }
        }
    }

    private func davMakeFolder(_ folderURL: String) throws {
        do {
            try perform(url: folderURL, body: Body()) { _ in
                []
            } configure: { handle, _ in
                gw_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "MKCOL")
            }
        } catch let error as TransportError where error.kind == .refused || error.kind == .alreadyExists {
            // 405: the folder is already there.
        }
    }

    /// Runs one request on the shared handle: common options (protocols, TLS, host key, login, timeouts), then
    /// the operation's own. `lists` makes the curl_slists the operation needs, freed after the request.
    private func perform(
        url: String, body: Body, reading: Bool = false,
        lists makeLists: (UnsafeMutableRawPointer) -> [UnsafeMutablePointer<curl_slist>],
        configure: (UnsafeMutableRawPointer, [UnsafeMutablePointer<curl_slist>]) -> Void
    ) throws {
        lock.lock()
        defer { lock.unlock() }
        curl_easy_reset(handle)
        let lists = makeLists(handle)
        defer { for list in lists { curl_slist_free_all(list) } }
        let context = Unmanaged.passUnretained(body).toOpaque()
        gw_curl_setopt_string(handle, CURLOPT_URL, url)
        gw_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        gw_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        gw_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, Self.protocols(endpoint.kind))
        gw_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, endpoint.connectTimeout)
        gw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        gw_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, endpoint.idleTimeout)
        gw_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, endpoint.idleTimeout)
        errorBuffer.withUnsafeMutableBufferPointer { buffer in
            buffer[0] = 0
            gw_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
        }
        gw_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, curlWrite)
        gw_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        if reading {
            gw_curl_setopt_callback(handle, CURLOPT_READFUNCTION, curlRead)
            gw_curl_setopt_pointer(handle, CURLOPT_READDATA, context)
        }
        if let user = endpoint.user { gw_curl_setopt_string(handle, CURLOPT_USERNAME, user) }
        if let password { gw_curl_setopt_string(handle, CURLOPT_PASSWORD, password) }
        switch endpoint.kind {
        case .sftp:
            var auth = Int(CURLSSH_AUTH_PUBLICKEY)
            if password != nil { auth |= Int(CURLSSH_AUTH_PASSWORD) }
            gw_curl_setopt_long(handle, CURLOPT_SSH_AUTH_TYPES, auth)
            if let key = endpoint.privateKeyFile { gw_curl_setopt_string(handle, CURLOPT_SSH_PRIVATE_KEYFILE, key) }
            if let key = endpoint.publicKeyFile { gw_curl_setopt_string(handle, CURLOPT_SSH_PUBLIC_KEYFILE, key) }
            if let passphrase { gw_curl_setopt_string(handle, CURLOPT_KEYPASSWD, passphrase) }
            // Without a key callback, libcurl accepts only a host whose key matches the file.
            if let file = endpoint.knownHosts { gw_curl_setopt_string(handle, CURLOPT_SSH_KNOWNHOSTS, file) }
            if let pin = endpoint.hostKeySHA256 {
                gw_curl_setopt_string(handle, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, Self.paddedBase64(pin))
            }
        case .ftps, .https:
            gw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            gw_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            gw_curl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
            if let ca = endpoint.caFile { gw_curl_setopt_string(handle, CURLOPT_CAINFO, ca) }
            if endpoint.kind == .ftps {
                gw_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            } else {
                gw_curl_setopt_long(handle, CURLOPT_FAILONERROR, 1)
                if let token { gw_curl_setopt_string(handle, CURLOPT_XOAUTH2_BEARER, token) }
                // 1 << 6 is CURLAUTH_BEARER, a macro Swift does not import.
                if token != nil { gw_curl_setopt_long(handle, CURLOPT_HTTPAUTH, 1 << 6) }
            }
        case .folder: break
        }
        configure(handle, lists)
        let code = curl_easy_perform(handle)
        guard code != CURLE_OK else { return }
        let (status, message) = Self.failure(code, on: handle, errorBuffer: errorBuffer)
        throw TransportError(Self.kind(of: code, status: status), message)
    }

    /// What a failed request says: the server's last status code (0 when none) and curl's message with its code.
    static func failure(_ code: CURLcode, on handle: UnsafeMutableRawPointer, errorBuffer: [CChar]) -> (Int, String) {
        var status = 0
        gw_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let message =
            (detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
            + " (curl \(code.rawValue)\(status > 0 ? ", \(status)" : ""))"
        return (status, message)
    }

    static func kind(of code: CURLcode, status: Int) -> TransportError.Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
            CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_SSH, CURLE_AGAIN:
            return .unreachable
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE:
            return .peerRejected
        case CURLE_LOGIN_DENIED: return .authentication
        case CURLE_REMOTE_FILE_NOT_FOUND: return .notFound
        case CURLE_REMOTE_ACCESS_DENIED: return .refused
        case CURLE_HTTP_RETURNED_ERROR:
            switch status {
            case 401, 403: return .authentication
            case 404: return .notFound
            case 412: return .alreadyExists
            case 500...599, 408, 429: return .unreachable
            default: return .refused
            }
        default: return .refused
        }
    }

    static func protocols(_ kind: Endpoint.Kind) -> String {
        switch kind {
        case .sftp: "sftp"
        case .ftps: "ftp,ftps"
        case .https: "https"
        case .folder: ""
        }
    }

    static func paddedBase64(_ text: String) -> String {
        var value = text.hasPrefix("SHA256:") ? String(text.dropFirst(7)) : text
        while value.count % 4 != 0 { value += "=" }
        return value
    }

    // MARK: Listings

    /// `ls -l` lines as SFTP servers (and most FTP servers, for `LIST`) give them; regular files only.
    public static func parseUnixListing(_ text: String) -> [RemoteFile] {
        var files: [RemoteFile] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where line.first == "-" {
            // permissions, links, owner, group, size, month, day, time-or-year, name (may hold spaces)
            var fields: [Substring] = []
            var rest = line[...]
            for _ in 0..<8 {
                rest = rest.drop(while: { $0 == " " })
                guard let end = rest.firstIndex(of: " ") else { break }
                fields.append(rest[..<end])
                rest = rest[end...]
            }
            let name = String(rest.dropFirst())
            guard fields.count == 8, let size = Int64(fields[4]), !name.isEmpty, !name.hasPrefix(".") else {
                continue
            }
            files.append(RemoteFile(name: name, size: size, modified: fields[5...7].joined(separator: " ")))
        }
        return files.sorted { $0.name < $1.name }
    }

    /// A JSON folder listing: an array of `{"name", "type", "size", "mtime"}` (nginx's `autoindex_format json`).
    public static func parseJSONListing(_ data: Data) throws -> [RemoteFile] {
        guard let entries = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw TransportError(.refused, "liste du dossier illisible (JSON attendu)")
        }
        var files: [RemoteFile] = []
        for entry in entries {
            guard let name = entry["name"] as? String, !name.hasPrefix("."),
                (entry["type"] as? String ?? "file") == "file"
            else { continue }
            let size = (entry["size"] as? NSNumber)?.int64Value ?? 0
            files.append(RemoteFile(name: name, size: size, modified: "\(entry["mtime"] ?? "")"))
        }
        return files.sorted { $0.name < $1.name }
    }
}

/// What a request writes to (a file or memory) or reads from (a file).
final class Body {
    /// Where a download goes (memory when nil).
    var file: UnsafeMutablePointer<FILE>?
    /// What an upload reads.
    var input: UnsafeMutablePointer<FILE>?
    var data = Data()
    var bytes: Int64 = 0
}

let curlWrite: gw_curl_data_callback = { buffer, size, count, context in
    let body = Unmanaged<Body>.fromOpaque(context!).takeUnretainedValue()
    let total = size * count
    guard let buffer, total > 0 else { return 0 }
    if let file = body.file {
        let written = fwrite(buffer, 1, total, file)
        body.bytes += Int64(written)
        return written
    }
    body.data.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: total)
    body.bytes += Int64(total)
    return total
}

let curlRead: gw_curl_data_callback = { buffer, size, count, context in
    let body = Unmanaged<Body>.fromOpaque(context!).takeUnretainedValue()
    guard let input = body.input, let buffer else { return 0 }
    return fread(buffer, size, count, input)
}
