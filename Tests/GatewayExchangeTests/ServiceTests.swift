import Foundation
import Testing

/// The HTTP listener as a process: TLS with the département's certificate, the port it announces.
@Suite("insertion-gateway api over TLS")
struct ServiceTests {
    /// Starts `arguments` and waits for the line saying where the API listens; its port, and the process.
    static func start(_ arguments: [String], in directory: TempDirectory) throws -> (pid: pid_t, port: String) {
        let pid = try spawn(Repo.cli, arguments, out: directory.path("out"), err: directory.path("err"))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let out = (try? String(contentsOfFile: directory.path("out"), encoding: .utf8)) ?? ""
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("API à l'écoute sur ") }),
                let port = line.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            {
                return (pid, port)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        _ = waitFor(pid)
        let err = (try? String(contentsOfFile: directory.path("err"), encoding: .utf8)) ?? ""
        throw TestFailure("the API did not say where it listens: \(err)")
    }

    @Test("--tls-cert and --tls-key: HTTPS only (TLS 1.2 at least); a missing key file is refused at start")
    func tlsListener() throws {
        let directory = try TempDirectory()
        let certificate = directory.path("cert.pem")
        let key = directory.path("key.pem")
        let made = try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made.err)")
        let (pid, port) = try Self.start(
            [
                "api", "--store", directory.path("g.sqlite"), "--mappings", Repo.mappings, "--listen", "127.0.0.1:0",
                "--tls-cert", certificate, "--tls-key", key,
            ], in: directory)
        defer {
            kill(pid, SIGTERM)
            _ = waitFor(pid)
        }
        let secure = try run(
            "/usr/bin/curl",
            ["-s", "--max-time", "10", "--cacert", certificate, "--tlsv1.2", "https://127.0.0.1:\(port)/health"])
        #expect(secure.status == 0 && secure.out == #"{"status":"ok"}"#, "\(secure)")
        // In clear, the server speaks no HTTP: curl gets no answer it can read.
        let clear = try run("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/health"])
        #expect(clear.status != 0 || !clear.out.contains("ok"), "\(clear)")
        // TLS 1.1 and older are refused.
        let old = try run(
            "/usr/bin/curl",
            ["-s", "--max-time", "5", "-k", "--tls-max", "1.1", "https://127.0.0.1:\(port)/health"])
        #expect(old.status != 0)

        let refused = try run(
            Repo.cli,
            [
                "api", "--store", directory.path("g2.sqlite"), "--mappings", Repo.mappings, "--listen", "127.0.0.1:0",
                "--tls-cert", certificate, "--tls-key", directory.path("absent.pem"),
            ])
        #expect(refused.status != 0 && refused.err.contains("Clé privée TLS illisible"), "\(refused)")
        let half = try run(
            Repo.cli,
            ["api", "--store", directory.path("g3.sqlite"), "--listen", "127.0.0.1:0", "--tls-cert", certificate])
        #expect(half.status != 0 && half.err.contains("--tls-cert et --tls-key vont ensemble"), "\(half)")
    }
}
