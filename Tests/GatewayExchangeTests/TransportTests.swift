import Foundation
import GatewayTransport
import Testing

/// The same contract checked on every transport, against real servers on loopback.
func checkContract(_ transport: any Transport, inbox: String, scratch: TempDirectory) throws {
    try write("first file\n", to: inbox + "/a.csv")
    try write("second file, a bit longer\n", to: inbox + "/b d.csv")
    try FileManager.default.createDirectory(atPath: inbox + "/sub", withIntermediateDirectories: true)
    let listed = try transport.list()
    #expect(listed.map(\.name) == ["a.csv", "b d.csv"], "folders and dot files are not listed")
    #expect(listed.first?.size == 11)

    let local = scratch.path("download-\(UUID().uuidString.prefix(4))")
    let bytes = try transport.download("b d.csv", to: local)
    #expect(bytes == 26)
    #expect(try String(contentsOfFile: local, encoding: .utf8) == "second file, a bit longer\n")
    #expect(throws: TransportError.self) { try transport.download("missing.csv", to: local) }

    // Upload: under a temporary name, then renamed; an existing name is never replaced.
    try write("outgoing\n", to: scratch.path("out.csv"))
    try transport.upload(scratch.path("out.csv"), as: "sent.csv")
    #expect(try String(contentsOfFile: inbox + "/sent.csv", encoding: .utf8) == "outgoing\n")
    #expect(!FileManager.default.fileExists(atPath: inbox + "/" + temporaryUploadName("sent.csv")))
    try write("other content\n", to: scratch.path("other.csv"))
    let refused = #expect(throws: TransportError.self) {
        try transport.upload(scratch.path("other.csv"), as: "sent.csv")
    }
    #expect(refused?.kind == .alreadyExists)
    #expect(try String(contentsOfFile: inbox + "/sent.csv", encoding: .utf8) == "outgoing\n")

    // Archive (into a folder created on the way) and delete.
    try transport.move("a.csv", toFolder: "archive", as: "a.csv")
    #expect(files(in: inbox + "/archive") == ["a.csv"])
    try write("first file\n", to: inbox + "/a.csv")
    let taken = #expect(throws: TransportError.self) { try transport.move("a.csv", toFolder: "archive", as: "a.csv") }
    #expect(taken?.kind == .alreadyExists)
    try transport.delete("a.csv")
    #expect(!FileManager.default.fileExists(atPath: inbox + "/a.csv"))
    #expect(try transport.list().map(\.name) == ["b d.csv", "sent.csv"])
}

@Suite("Transports against real servers", .serialized)
struct TransportTests {
    @Test("Folder: list, download, upload without replacing, archive, delete")
    func folder() throws {
        let scratch = try TempDirectory()
        let inbox = try scratch.folder("inbox")
        try checkContract(FolderTransport(path: inbox), inbox: inbox, scratch: scratch)
    }

    @Test("SFTP (OpenSSH sshd, internal-sftp): the contract, known_hosts and pinned key")
    func sftp() throws {
        let server = try SFTPServer()
        let scratch = try TempDirectory()
        try checkContract(
            try CurlTransport(endpoint: server.endpoint("in")), inbox: try server.local("in"), scratch: scratch)
        let pinned = try CurlTransport(endpoint: server.endpoint("in", pinned: true))
        #expect(try pinned.list().map(\.name) == ["b d.csv", "sent.csv"])
    }

    @Test("SFTP: a wrong host key is refused, pinned or through known_hosts, and never retried as transient")
    func wrongHostKey() throws {
        let server = try SFTPServer()
        _ = try server.local("in")
        var pinned = server.endpoint("in", pinned: true)
        let other = try shell("ssh-keygen -lf '\(server.directory.path("other_host_key.pub"))' -E sha256")
        pinned.hostKeySHA256 = String(other.split(separator: " ")[1])
        let error = #expect(throws: TransportError.self) { try CurlTransport(endpoint: pinned).list() }
        #expect(error?.kind == .peerRejected)
        #expect(error?.isTransient == false)

        let knownHosts = server.directory.path("wrong_known_hosts")
        let otherKey = try String(contentsOfFile: server.directory.path("other_host_key.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try write("[127.0.0.1]:\(server.port) \(otherKey)\n", to: knownHosts)
        var checked = server.endpoint("in")
        checked.knownHosts = knownHosts
        let mismatch = #expect(throws: TransportError.self) { try CurlTransport(endpoint: checked).list() }
        #expect(mismatch?.kind == .peerRejected)

        // A host missing from known_hosts is refused too.
        try write("", to: knownHosts)
        let unknown = #expect(throws: TransportError.self) { try CurlTransport(endpoint: checked).list() }
        #expect(unknown?.kind == .peerRejected)
    }

    @Test("SFTP: a server that is down is unreachable (transient)")
    func serverDown() throws {
        let server = try SFTPServer()
        server.stop()
        let error = #expect(throws: TransportError.self) { try CurlTransport(endpoint: server.endpoint("in")).list() }
        #expect(error?.kind == .unreachable)
        #expect(error?.isTransient == true)
    }

    @Test("HTTPS (WebDAV folder, test CA): the contract; another CA is refused")
    func https() throws {
        let server = try HTTPSServer()
        let scratch = try TempDirectory()
        try checkContract(
            try CurlTransport(endpoint: server.endpoint("in")), inbox: try server.local("in"), scratch: scratch)
        var untrusted = server.endpoint("in")
        untrusted.caFile = server.certificates.otherCA
        let error = #expect(throws: TransportError.self) { try CurlTransport(endpoint: untrusted).list() }
        #expect(error?.kind == .peerRejected)
        untrusted.caFile = nil
        #expect(throws: TransportError.self) { try CurlTransport(endpoint: untrusted).list() }
    }

    @Test("FTPS (explicit TLS required, pyftpdlib): the contract; another CA is refused")
    func ftps() throws {
        let server = try FTPSServer()
        let scratch = try TempDirectory()
        try checkContract(
            try CurlTransport(endpoint: server.endpoint("in")), inbox: try server.local("in"), scratch: scratch)
        var untrusted = server.endpoint("in")
        untrusted.caFile = server.certificates.otherCA
        let error = #expect(throws: TransportError.self) { try CurlTransport(endpoint: untrusted).list() }
        #expect(error?.kind == .peerRejected)
    }

    @Test("Listings: ls -l lines and nginx's JSON autoindex")
    func listings() throws {
        let unix = """
            drwxr-xr-x    2 root     root         4096 Nov 23 02:50 .
            -rw-r--r--    1 root     root            6 Nov 23 02:50 a.txt
            -rw-r--r--    1 1000     1000       123456 Jan  2  2025 name with spaces.csv
            lrwxrwxrwx    1 root     root            6 Nov 23 02:50 link -> a.txt
            """
        let files = CurlTransport.parseUnixListing(unix)
        #expect(files.map(\.name) == ["a.txt", "name with spaces.csv"])
        #expect(files[1].size == 123456)
        #expect(files[1].modified == "Jan 2 2025")
        let json = Data(
            #"[{"name":"x.csv","type":"file","mtime":"Mon, 23 Nov 2026 02:50:00 GMT","size":12},{"name":"d","type":"directory"}]"#
                .utf8)
        #expect(
            try CurlTransport.parseJSONListing(json) == [
                RemoteFile(name: "x.csv", size: 12, modified: "Mon, 23 Nov 2026 02:50:00 GMT")
            ])
    }
}
