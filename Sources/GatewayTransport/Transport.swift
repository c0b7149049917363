import Foundation

/// A file as a partner's location lists it.
public struct RemoteFile: Sendable, Hashable, Codable {
    public var name: String
    public var size: Int64
    /// The server's modification stamp as it gives it (epoch seconds for folders, the listing's date otherwise):
    /// compared for equality only, never as a clock.
    public var modified: String

    public init(name: String, size: Int64, modified: String) {
        self.name = name
        self.size = size
        self.modified = modified
    }
}

/// Where files are picked up or dropped: a local folder, an SFTP, FTPS or HTTPS location.
///
/// Downloads write to the local path given (the caller hashes it before it counts); uploads go to a temporary
/// name beside the target and are renamed once complete; nothing existing is overwritten.
public protocol Transport: Sendable {
    /// The location without credentials, for logs and the journal.
    var label: String { get }
    /// True when modification stamps come from this machine's clock (a local folder).
    var clockIsLocal: Bool { get }
    /// Regular files directly in the location (no folders), temporary upload names excluded.
    func list() throws -> [RemoteFile]
    /// Copies `name` to `localPath`; returns the bytes written.
    @discardableResult func download(_ name: String, to localPath: String) throws -> Int64
    /// Sends `localPath` as `name`: written under a temporary name, then renamed. Throws `alreadyExists` when
    /// `name` is already there.
    func upload(_ localPath: String, as name: String) throws
    /// Moves `name` into `folder` (relative to the location, created when missing) as `newName`. Throws
    /// `alreadyExists` when the target is taken.
    func move(_ name: String, toFolder folder: String, as newName: String) throws
    /// Deletes `name`.
    func delete(_ name: String) throws
}

extension Transport {
    /// Whether `name` is in the location.
    public func exists(_ name: String) throws -> Bool {
        try list().contains { $0.name == name }
    }
}

/// The temporary name an upload is written under before its rename.
public func temporaryUploadName(_ name: String) -> String { "." + name + ".part" }

/// A transport failure, with whether trying again later may help.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The server cannot be reached, the connection broke or timed out: worth retrying.
        case unreachable
        /// The host key or certificate does not match what is configured: never retried.
        case peerRejected = "peer-rejected"
        /// The login was refused.
        case authentication
        case notFound = "not-found"
        case alreadyExists = "already-exists"
        /// The server refused an operation (rename, delete, unexpected answer).
        case refused
        /// Something on this machine (a file that cannot be written, a secret that cannot be read).
        case local
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var isTransient: Bool { kind == .unreachable }
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// A secret given by reference only: the name of an environment variable or the path of a file.
public enum SecretReference: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// The secret: the variable's value in `environment` (the process's, as the application read it at its edge),
    /// or the file's content.
    public func resolve(environment: [String: String]) throws -> String {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw TransportError(.local, "variable d'environnement \(name) absente ou vide")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TransportError(.local, "fichier de secret illisible : \(path)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }
}

/// Everything needed to reach a location. Secrets are references, resolved when a connection is made.
public struct Endpoint: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case folder, sftp, ftps, https
    }

    public var kind: Kind
    /// A folder path, or a URL (`sftp://host:port/path/`, `ftps://…` or `ftp://…` with TLS required,
    /// `https://host/path/`).
    public var location: String
    public var user: String?
    public var password: SecretReference?
    /// SFTP: private key file (and its passphrase).
    public var privateKeyFile: String?
    public var publicKeyFile: String?
    public var keyPassphrase: SecretReference?
    /// HTTPS: a bearer token.
    public var token: SecretReference?
    /// SFTP: an OpenSSH known_hosts file, or the SHA-256 of the host's public key (base64, as `ssh-keygen -lf`
    /// prints it).
    public var knownHosts: String?
    public var hostKeySHA256: String?
    /// FTPS, HTTPS: a CA bundle to verify the server with instead of the system's.
    public var caFile: String?
    /// Seconds to connect, and seconds without a byte before a transfer is abandoned.
    public var connectTimeout = 15
    public var idleTimeout = 60

    public init(kind: Kind, location: String) {
        self.kind = kind
        self.location = location
    }

    /// The transport for this endpoint; `environment` holds the variables its secrets may name.
    public func transport(environment: [String: String] = [:]) throws -> any Transport {
        switch kind {
        case .folder: FolderTransport(path: location)
        case .sftp, .ftps, .https: try CurlTransport(endpoint: self, environment: environment)
        }
    }
}
