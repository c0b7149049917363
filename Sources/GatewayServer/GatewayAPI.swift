import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTelemetry
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// The scheduler as `/health` reports it: alive or not, and each exchange's last outcome and time.
public struct SchedulerHealth: Sendable, Codable, Equatable {
    public struct Exchange: Sendable, Codable, Equatable {
        public var id: String
        public var outcome: String?
        public var finishedAt: String?
        public var durationMS: Int?

        public init(id: String, outcome: String?, finishedAt: String?, durationMS: Int?) {
            self.id = id
            self.outcome = outcome
            self.finishedAt = finishedAt
            self.durationMS = durationMS
        }
    }

    public var alive: Bool
    public var lastLook: String?
    public var running: [String]
    public var exchanges: [Exchange]

    public init(alive: Bool, lastLook: String?, running: [String], exchanges: [Exchange]) {
        self.alive = alive
        self.lastLook = lastLook
        self.running = running
        self.exchanges = exchanges
    }
}

struct Health: Encodable {
    var status: String
    var scheduler: SchedulerHealth
}

/// A file pushed through the API and refused as a whole: what the data team is told (no record's content).
public struct RefusedPush: Sendable, Equatable {
    public var flow: String
    public var partner: String
    public var file: String
    public var outcome: FileOutcome
    public var sha256: String
}

/// The server could not start: a French message naming the file or setting at fault.
public struct APIStartError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// How the API server runs: where its data is, and its limits.
public struct APIConfiguration: Sendable {
    /// Where `/outbox` files are read (what `source`, `alerts` and `notice` write).
    public var outboxDirectory: String
    /// Where refused and unreadable pushed files are kept (as `import` does).
    public var keepDirectory: String
    /// Where uploads are written while they are imported (removed after).
    public var uploadDirectory: String
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 64 << 20
    /// Requests a second per key, on average (0: no limit), and at once.
    public var rateLimit: Double = 20
    public var rateBurst: Double = 40
    /// Failed authentications allowed from one address at once, then a second (0: no limit): a guessed key
    /// costs time.
    public var authFailureBurst: Double = 10
    public var authFailureRate: Double = 0.1
    /// The staff console's sessions and sign-in limits.
    public var console = ConsoleConfiguration()
    /// The mappings' folder, read again when the console or the API reprocesses (a mapping fixed since the start is
    /// used); nil: the mappings loaded at the start.
    public var mappingDirectory: String?
    /// Longest time a request may take before the client is answered 503.
    public var requestTimeout: Duration = .seconds(120)
    /// An idle connection is closed after this many seconds.
    public var idleTimeoutSeconds: Int64 = 60

    public init(outboxDirectory: String, keepDirectory: String, uploadDirectory: String) {
        self.outboxDirectory = outboxDirectory
        self.keepDirectory = keepDirectory
        self.uploadDirectory = uploadDirectory
    }
}

/// The HTTP API over the gateway's pipeline, store and reports. `buildRouter()` for tests, `buildApplication`
/// to serve.
public struct GatewayAPI: Sendable {
    /// The store's parts the routes use (not the whole store: no people lookups, no purge).
    public let repositories: APIRepositories
    public let flows: [String: FlowMapping]
    public let programmes: ProgrammeCatalogue
    public let structures: StructureCatalogue
    public let configuration: APIConfiguration
    public let metrics: GatewayMetrics
    public let logger: Logger
    let limiter: RateLimiter
    /// Failed authentications by client address: `authFailureBurst` at once, then one every
    /// 1 / `authFailureRate` seconds.
    let authFailures: RateLimiter
    /// Failed console sign-ins by address and by login.
    let signInFailures: RateLimiter
    /// The console's sessions (hummingbird's in-memory store, expired ones tidied as a service of the application).
    let sessionStore: MemoryPersistDriver<ContinuousClock>
    /// What `/health` says of the scheduler running in the same process (`serve`); nil for an API-only instance.
    public var schedulerHealth: (@Sendable () -> SchedulerHealth)?
    /// Starts a scheduled exchange now (`serve`: the console's « relancer maintenant »); nil for an API-only instance.
    public var runExchangeNow: (@Sendable (String) -> ExchangeStart)?
    /// Told of each pushed file refused as a whole (unreadable, or against its schema): `serve` mails the data
    /// team, as for a file an exchange fetched.
    public var onFileRefused: (@Sendable (RefusedPush) -> Void)?

    public init(
        repositories: APIRepositories, flows: [String: FlowMapping], programmes: ProgrammeCatalogue,
        structures: StructureCatalogue, configuration: APIConfiguration, metrics: GatewayMetrics = GatewayMetrics(),
        logger: Logger = Logger(label: "insertion-gateway.api")
    ) {
        self.repositories = repositories
        self.flows = flows
        self.programmes = programmes
        self.structures = structures
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.limiter = RateLimiter(rate: configuration.rateLimit, burst: configuration.rateBurst)
        self.authFailures = RateLimiter(rate: configuration.authFailureRate, burst: configuration.authFailureBurst)
        self.signInFailures = RateLimiter(
            rate: configuration.console.signInFailureRate, burst: configuration.console.signInFailureBurst)
        self.sessionStore = MemoryPersistDriver()
    }

    /// The flows as the mapping files say now (`mappingDirectory`), or as loaded at the start.
    func currentFlows() throws -> [String: FlowMapping] {
        guard let directory = configuration.mappingDirectory else { return flows }
        do {
            return try MappingLoader.loadAll(directory: directory, only: nil)
        } catch {
            throw ReplayError("Mappings invalides dans \(directory) : \(error)")
        }
    }

    /// Every route of `APIRoutes.all`, behind the JSON error middleware, and the staff console under `/console`.
    public func buildRouter() -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: JSONErrorMiddleware(metrics: metrics))
        for route in APIRoutes.all {
            router.on(RouterPath(stringLiteral: route.routerPath), method: route.method) { request, context in
                try await self.respond(route, request, context)
            }
        }
        addConsole(to: router)
        return router
    }

    /// The server: HTTP/1.1 on `host:port` (over TLS with `tls`: a PEM certificate chain and its key), idle
    /// connections closed after the configured time. `onListening` gets the port it listens on (the one the
    /// system chose for port 0).
    public func buildApplication(
        host: String, port: Int, tls: (certificate: String, key: String)? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let idle = configuration.idleTimeoutSeconds
        let server: HTTPServerBuilder =
            try tls.map {
                try .tls(
                    .http1(configuration: .init(idleTimeout: .seconds(idle))),
                    tlsConfiguration: Self.tlsConfiguration($0.certificate, $0.key))
            } ?? .http1(configuration: .init(idleTimeout: .seconds(idle)))
        return Application(
            router: buildRouter(),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "insertion-gateway"),
            services: [sessionStore],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    // MARK: Access

    /// A server's TLS: the certificate chain and the private key of PEM files, TLS 1.2 at least. A file that
    /// cannot be read is named in a French error, its content never.
    static func tlsConfiguration(_ certificate: String, _ key: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw APIStartError("Certificat TLS illisible (PEM attendu) : \(certificate)")
        }
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw APIStartError("Clé privée TLS illisible (PEM attendu) : \(key)")
        }
        guard !chain.isEmpty else { throw APIStartError("Aucun certificat dans \(certificate)") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    static let apiKeyHeader = HTTPField.Name("X-API-Key")!
    static let purposeHeader = HTTPField.Name("X-Purpose")!

    func respond(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        var context = context
        if route.access != .open {
            // An address that failed to authenticate too often waits, whatever key it presents next.
            let address = context.remoteAddress?.ipAddress ?? "inconnue"
            if let wait = authFailures.waiting(address) {
                await audit(
                    route, request, context, action: "blocked", subjectKind: .route, subject: route.path, status: 429)
                var error = APIError(
                    .tooManyRequests, "too-many-failures",
                    "Trop d'échecs d'authentification depuis cette adresse ; réessayer plus tard.")
                error.headers[.retryAfter] = String(Int(wait.rounded(.up)))
                throw error
            }
            let caller: APIKeyRecord
            do {
                caller = try await authenticate(request)
            } catch let error as APIError where error.status == .unauthorized {
                _ = authFailures.take(address)
                await audit(
                    route, request, context, action: "unauthenticated", subjectKind: .route, subject: route.path,
                    status: 401)
                throw error
            }
            context.caller = caller
            if let wait = limiter.take(caller.keyID) {
                await audit(
                    route, request, context, action: "rate-limited", subjectKind: .route, subject: route.path,
                    status: 429)
                var error = APIError(
                    .tooManyRequests, "rate-limited", "Trop de requêtes pour cette clé ; réessayer plus tard.")
                error.headers[.retryAfter] = String(Int(wait.rounded(.up)))
                throw error
            }
            do {
                try authorize(route, caller, context)
            } catch let error as APIError where error.status == .forbidden {
                await audit(
                    route, request, context, action: "denied", subjectKind: .route, subject: route.path,
                    status: 403)
                throw error
            }
        }
        let handlerContext = context
        return try await withTimeout(configuration.requestTimeout) {
            try await self.handle(route, request, handlerContext)
        }
    }

    /// The key of `Authorization: Bearer …` or `X-API-Key`, looked up by its SHA-256.
    func authenticate(_ request: Request) async throws -> APIKeyRecord {
        var presented = request.headers[Self.apiKeyHeader]
        if presented == nil, let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { presented = String(parts[1]) }
        }
        guard let key = presented?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            var error = APIError(
                .unauthorized, "missing-key", "Clé d'API absente (en-tête Authorization: Bearer … ou X-API-Key).")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        let digest = GatewayStore.keyDigest(key)
        let repositories = repositories
        guard key.utf8.count <= 256, let record = try await offload({ try repositories.access.apiKey(sha256: digest) })
        else {
            var error = APIError(.unauthorized, "invalid-key", "Clé d'API inconnue ou révoquée.")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        return record
    }

    func authorize(_ route: APIRoute, _ caller: APIKeyRecord, _ context: APIContext) throws {
        switch route.access {
        case .open: return
        case .admin:
            guard caller.scopes.contains(.admin) else {
                throw APIError.forbidden("Cette clé n'a pas la portée « admin ».")
            }
        case .push:
            let flowID = context.parameters.get("flow") ?? ""
            guard let flow = flows[flowID], !Self.isOutbound(flow) else {
                throw APIError.notFound("Flux inconnu : \(Self.printable(flowID)).")
            }
            guard caller.scopes.contains(.push(flow: flowID)) else {
                throw APIError.forbidden("Cette clé ne peut pas déposer dans le flux « \(flowID) ».")
            }
        case .partner:
            guard context.parameters.get("partner") == caller.partner else {
                throw APIError.forbidden("Cette clé ne donne accès qu'aux données de son propre partenaire.")
            }
        }
    }

    static func isOutbound(_ flow: FlowMapping) -> Bool {
        Catalogue.direction(ofEntity: flow.record.entity.name) == .out
    }

    /// The flows a caller may push to (`flow:X:in`).
    static func inboundFlows(_ caller: APIKeyRecord) -> Set<String> {
        Set(caller.scopes.compactMap { $0.flow?.direction == .in ? $0.flow?.id : nil })
    }

    /// A value from the client shown back in a message: printable, short.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(80).map(Character.init))
    }

    /// `X-Purpose` as the audit log keeps it: free text a caller may fill with personal data, so bounded (80
    /// characters, control characters dropped) and masked as any other value: a word with digits as an
    /// identifier (`184************`, `****412`), a capitalised word after the first as a name (`D***`), and a word
    /// in capitals of four letters or more as a name too (a surname written `DUPONT`; `RSA`, `CER` stay).
    public static func maskedPurpose(_ header: String) -> String {
        let words = printable(header).split(separator: " ", omittingEmptySubsequences: false)
        return words.enumerated().map { index, word -> String in
            let text = String(word)
            let letters = text.filter(\.isLetter)
            if text.contains(where: \.isNumber) {
                return Masking.looksLikeNIR(text) ? Masking.nir(text) : Masking.identifier(text)
            }
            if letters.count >= 4 && letters.allSatisfy(\.isUppercase) { return Masking.name(text) }
            if index > 0, let first = letters.first, first.isUppercase, letters.dropFirst().allSatisfy(\.isLowercase),
                letters.count >= 2
            {
                return Masking.name(text)
            }
            return text
        }.joined(separator: " ")
    }

    /// Appends to the audit log; a failure there is logged, never turned into the response.
    func audit(
        _ route: APIRoute, _ request: Request, _ context: APIContext, action: String, subjectKind: AuditSubject,
        subject: String, status: Int
    ) async {
        let purpose = request.headers[Self.purposeHeader].map(Self.maskedPurpose).flatMap { $0.isEmpty ? nil : $0 }
        let entry = AuditEntry(
            actor: context.caller?.keyID ?? "anonymous", partner: context.caller?.partner, action: action,
            subjectKind: subjectKind, subject: subject, purpose: purpose ?? route.purpose,
            route: "\(route.method.rawValue) \(route.path)", status: status)
        let repositories = repositories
        do {
            try await offload { try repositories.access.audit(entry) }
        } catch {
            logger.error("audit log write failed", metadata: ["error": "\(type(of: error))"])
        }
    }

    // MARK: Dispatch

    func handle(_ route: APIRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        switch route.name {
        case .health:
            // An API-only instance is healthy when it answers; beside the scheduler (`serve`), when that is alive.
            guard let schedulerHealth else { return try JSONCoding.response(["status": "ok"]) }
            let scheduler = schedulerHealth()
            return try JSONCoding.response(
                Health(status: scheduler.alive ? "ok" : "degraded", scheduler: scheduler),
                status: scheduler.alive ? .ok : .serviceUnavailable)
        case .metrics:
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.emit())))
        case .pushFile: return try await pushFile(route, request, context)
        case .pushRecords: return try await pushRecords(route, request, context)
        case .outbox: return try await outbox(route, request, context)
        case .outboxFile: return try await outboxFile(route, request, context)
        case .rejections: return try await rejections(route, request, context)
        case .rejectionNotice: return try await rejectionNotice(route, request, context)
        case .statusFiles: return try await statusFiles(route, request, context)
        case .statusJournal: return try await statusJournal(route, request, context)
        case .statusQuarantine: return try await statusQuarantine(route, request, context)
        case .statusReprocess: return try await statusReprocess(route, request, context)
        case .statusRetry: return try await statusRetry(route, request, context)
        case .reportFindings, .reportCVDeposit, .reportIndicators, .reportDashboard:
            return try await report(route, request, context)
        }
    }
}
