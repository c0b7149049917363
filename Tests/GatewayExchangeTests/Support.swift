import Foundation
import GatewayExchange
import GatewayMapping
import GatewayStore
import GatewayTransport
import Logging
import Synchronization
import Testing

/// Paths of the repository, found from this file.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let mappings = root.appendingPathComponent("Mappings").path
    static let servers = root.appendingPathComponent("Tests/GatewayExchangeTests/Servers").path

    static func sample(_ path: String) -> String { root.appendingPathComponent("Samples/" + path).path }

    static let flows: [String: FlowMapping] = {
        (try? MappingLoader.loadAll(directory: mappings)) ?? [:]
    }()

    /// The CLI built beside the test bundle by `swift build` / `swift test`.
    static var cli: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundleDirectory.appendingPathComponent("insertion-gateway"),
            bundleDirectory.deletingLastPathComponent().appendingPathComponent("insertion-gateway"),
            root.appendingPathComponent(".build/debug/insertion-gateway"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return root.appendingPathComponent(".build/debug/insertion-gateway").path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary folder removed at the end of a test.
final class TempDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ig-exchange-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func folder(_ name: String) throws -> String {
        let folder = path(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

let silentLogger: Logger = {
    var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// Starts a process with posix_spawn, its output to files (Foundation's `Process` can block in `waitUntilExit`
/// on another child when servers run beside it).
func spawn(_ executable: String, _ arguments: [String], cwd: String? = nil, out: String, err: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // The working folder through the shell: `cd "$0" && exec "$@"`.
    let argv =
        cwd.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, executable] + arguments }
        ?? [executable] + arguments
    let pointers = argv.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    // The test runner's threads block signals; a child would inherit that mask and ignore SIGTERM.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let code = posix_spawn(&pid, argv[0], &actions, &attributes, pointers, environ)
    guard code == 0 else { throw TestFailure("cannot start \(executable): \(code)") }
    return pid
}

/// Waits for a spawned process; its exit code, or 128 + the signal that ended it.
func waitFor(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// Runs a process to its end: exit code, standard output and standard error.
@discardableResult
func run(_ executable: String, _ arguments: [String], cwd: String? = nil) throws -> (
    status: Int32, out: String, err: String
) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ig-run-\(UUID().uuidString)").path
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    let pid = try spawn(executable, arguments, cwd: cwd, out: base + ".out", err: base + ".err")
    let status = waitFor(pid)
    let out = FileManager.default.contents(atPath: base + ".out") ?? Data()
    let err = FileManager.default.contents(atPath: base + ".err") ?? Data()
    return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// Runs a shell command, failing the test when it fails.
@discardableResult
func shell(_ command: String) throws -> String {
    let result = try run("/bin/sh", ["-c", command])
    guard result.status == 0 else { throw TestFailure("\(command): \(result.err)") }
    return result.out
}

/// A TCP port nothing listens on (bound then released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Waits until something accepts connections on the port.
func waitForPort(_ port: Int, seconds: Double = 10) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        close(fd)
        if connected == 0 { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw TestFailure("nothing listens on port \(port)")
}

/// A server process started by a test, stopped at the end. Started in the background by a shell, not as a child
/// of this process: Foundation's `Process` can block on a long-lived child when another one ends.
final class ServerProcess: @unchecked Sendable {
    let pid: Int32

    init(_ executable: String, _ arguments: [String], log: String) throws {
        guard executable == "/usr/bin/env" || FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestFailure("\(executable) is missing: run scripts/setup.sh (as root) first")
        }
        let command = ([executable] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let output = try shell("\(command) >'\(log)' 2>&1 </dev/null & echo $!")
        guard let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("could not start \(executable)")
        }
        self.pid = pid
        ServerProcess.started.withLock { $0.append(pid) }
        _ = ServerProcess.cleanUp
    }

    /// Servers still running when the test process exits are stopped then.
    static let started = Mutex<[Int32]>([])
    static let cleanUp: Void = {
        atexit {
            for pid in ServerProcess.started.withLock({ $0 }) { kill(pid, SIGTERM) }
        }
    }()

    func stop() {
        guard kill(pid, SIGTERM) == 0 else { return }
        for _ in 0..<200 where kill(pid, 0) == 0 { Thread.sleep(forTimeInterval: 0.02) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    deinit { stop() }
}

/// OpenSSH's sshd with internal-sftp on loopback, a free port, its own host key and a client key pair.
final class SFTPServer: @unchecked Sendable {
    let directory: TempDirectory
    let port: Int
    let root: String
    let clientKey: String
    let knownHosts: String
    let hostKeySHA256: String
    private var server: ServerProcess?

    init() throws {
        directory = try TempDirectory()
        port = try freePort()
        root = try directory.folder("files")
        let dir = directory.path
        try shell(
            """
            mkdir -p /run/sshd && cd '\(dir)' && ssh-keygen -q -t ed25519 -N '' -f host_key && \
            ssh-keygen -q -t ed25519 -N '' -f client_key && cp client_key.pub authorized_keys && \
            ssh-keygen -q -t ed25519 -N '' -f other_host_key
            """)
        clientKey = directory.path("client_key")
        let hostPublic = try String(contentsOfFile: directory.path("host_key.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        knownHosts = directory.path("known_hosts")
        try "[127.0.0.1]:\(port) \(hostPublic)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let fingerprint = try shell("ssh-keygen -lf '\(dir)/host_key.pub' -E sha256")
        hostKeySHA256 = String(fingerprint.split(separator: " ")[1].dropFirst("SHA256:".count))
        let config = """
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(dir)/host_key
            AuthorizedKeysFile \(dir)/authorized_keys
            PidFile \(dir)/sshd.pid
            UsePAM no
            StrictModes no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            Subsystem sftp internal-sftp
            LogLevel ERROR

            """
        try config.write(toFile: directory.path("sshd_config"), atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        server = try ServerProcess(
            "/usr/sbin/sshd", ["-D", "-e", "-f", directory.path("sshd_config")], log: directory.path("sshd.log"))
        try waitForPort(port)
    }

    func stop() { server?.stop() }

    var user: String { ProcessInfo.processInfo.environment["USER"] ?? "root" }

    func url(_ folder: String) -> String { "sftp://127.0.0.1:\(port)\(root)/\(folder)/" }

    func endpoint(_ folder: String, pinned: Bool = false) -> Endpoint {
        var endpoint = Endpoint(kind: .sftp, location: url(folder))
        endpoint.user = user
        endpoint.privateKeyFile = clientKey
        if pinned { endpoint.hostKeySHA256 = hostKeySHA256 } else { endpoint.knownHosts = knownHosts }
        endpoint.connectTimeout = 5
        endpoint.idleTimeout = 10
        return endpoint
    }

    /// The YAML of this endpoint, for a gateway.yaml.
    func yaml(_ folder: String) -> String {
        """
            transport: sftp
            location: \(url(folder))
            credentials: { user: \(user), key-file: \(clientKey) }
            host-key: { known-hosts: \(knownHosts) }
        """
    }

    func local(_ folder: String) throws -> String { try directory.folder("files/" + folder) }

    deinit { stop() }
}

/// A CA and a server certificate for 127.0.0.1, made with openssl.
struct TestCertificates {
    let ca: String
    let cert: String
    let key: String
    let otherCA: String

    init(in directory: TempDirectory) throws {
        let dir = directory.path
        try shell(
            """
            cd '\(dir)' && \
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Test CA' 2>/dev/null && \
            openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj '/CN=Other CA' 2>/dev/null && \
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null && \
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext.cnf && \
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
              -extfile ext.cnf 2>/dev/null
            """)
        ca = directory.path("ca.pem")
        cert = directory.path("server.pem")
        key = directory.path("server.key")
        otherCA = directory.path("other-ca.pem")
    }
}

/// A Python server that writes the port it listens on to a file.
func startPythonServer(_ script: String, _ arguments: [String], in directory: TempDirectory) throws -> (
    ServerProcess, Int
) {
    let portFile = directory.path("\(script).port")
    // The python3 of the PATH: the one scripts/setup.sh installed pyftpdlib for.
    let server = try ServerProcess(
        "/usr/bin/env", ["python3", Repo.servers + "/" + script] + [arguments[0], portFile] + arguments.dropFirst(),
        log: directory.path("\(script).log"))
    let deadline = Date().addingTimeInterval(15)
    while Date() < deadline {
        if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
            try waitForPort(port)
            return (server, port)
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    let log = (try? String(contentsOfFile: directory.path("\(script).log"), encoding: .utf8)) ?? ""
    throw TestFailure("\(script) did not start: \(log)")
}

/// An HTTPS WebDAV folder (webdav_server.py) with a certificate from a test CA.
final class HTTPSServer: @unchecked Sendable {
    let directory: TempDirectory
    let certificates: TestCertificates
    let root: String
    let port: Int
    let server: ServerProcess

    init() throws {
        directory = try TempDirectory()
        certificates = try TestCertificates(in: directory)
        root = try directory.folder("www")
        (server, port) = try startPythonServer(
            "webdav_server.py", [root, certificates.cert, certificates.key], in: directory)
    }

    func url(_ folder: String) -> String { "https://127.0.0.1:\(port)/\(folder)/" }

    func endpoint(_ folder: String) -> Endpoint {
        var endpoint = Endpoint(kind: .https, location: url(folder))
        endpoint.caFile = certificates.ca
        endpoint.connectTimeout = 5
        endpoint.idleTimeout = 10
        return endpoint
    }

    func local(_ folder: String) throws -> String { try directory.folder("www/" + folder) }
}

/// An FTPS server (explicit TLS required) with pyftpdlib.
final class FTPSServer: @unchecked Sendable {
    let directory: TempDirectory
    let certificates: TestCertificates
    let root: String
    let port: Int
    let server: ServerProcess
    let passwordFile: String

    init() throws {
        directory = try TempDirectory()
        certificates = try TestCertificates(in: directory)
        root = try directory.folder("ftp")
        passwordFile = directory.path("password")
        try "s3cret-for-tests".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        (server, port) = try startPythonServer(
            "ftps_server.py", [root, certificates.cert, certificates.key, "gateway", "s3cret-for-tests"],
            in: directory)
    }

    func endpoint(_ folder: String) -> Endpoint {
        var endpoint = Endpoint(kind: .ftps, location: "ftp://127.0.0.1:\(port)/\(folder)/")
        endpoint.user = "gateway"
        endpoint.password = .file(passwordFile)
        endpoint.caFile = certificates.ca
        endpoint.connectTimeout = 5
        endpoint.idleTimeout = 10
        return endpoint
    }

    func local(_ folder: String) throws -> String { try directory.folder("ftp/" + folder) }
}

/// Writes a file.
func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

func files(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
}

/// An SMTP server on loopback (aiosmtpd, smtp_server.py): STARTTLS and login required by default; each mail it
/// takes is a JSON file (envelope, decoded subject and body, raw message) in its folder.
final class SMTPTestServer: @unchecked Sendable {
    struct Received: Decodable {
        var mailFrom: String
        var recipients: [String]
        var subject: String
        var headers: [String: String]
        var body: String
        var raw: String
        var tls: Bool
        var authenticated: Bool
    }

    let directory: TempDirectory
    let certificates: TestCertificates
    let mails: String
    let port: Int
    let server: ServerProcess
    let passwordFile: String

    /// `mode`: starttls, implicit (TLS from the start) or plain (no TLS offered).
    init(mode: String = "starttls") throws {
        directory = try TempDirectory()
        certificates = try TestCertificates(in: directory)
        mails = try directory.folder("mails")
        passwordFile = directory.path("password")
        try "smtp-s3cret-for-tests".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        (server, port) = try startPythonServer(
            "smtp_server.py",
            [mails, certificates.cert, certificates.key, "passerelle", "smtp-s3cret-for-tests", mode], in: directory)
    }

    /// The `mail:` section of a gateway.yaml for this server.
    func yaml(scheme: String = "smtp", recipients: String, extra: String = "") -> String {
        """
        mail:
          server: \(scheme)://127.0.0.1:\(port)
          from: passerelle-insertion@departement.test
          credentials: { user: passerelle, password-file: \(passwordFile) }
          tls: { ca-file: \(certificates.ca) }
          timeouts: { connect: 5, idle: 10 }
          api-url: https://passerelle.departement.test/
        \(extra)  recipients:
        \(recipients)
        """
    }

    /// The mails received so far, in order.
    func received() throws -> [Received] {
        try files(in: mails).filter { $0.hasSuffix(".json") }.map {
            try JSONDecoder().decode(Received.self, from: Data(contentsOf: URL(fileURLWithPath: mails + "/" + $0)))
        }
    }

    func stop() { server.stop() }
}
