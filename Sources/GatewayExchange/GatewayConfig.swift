import Foundation
import GatewayCore
import GatewayMapping
import GatewayTransport

/// `gateway.yaml`: the exchanges the gateway runs by itself.
public struct GatewayConfig: Sendable {
    public var store: String?
    public var mappings: String?
    /// Where downloads land before they count, and outputs are written before they are sent.
    public var work: String
    /// Where unreadable or refused files are kept (the pipeline's keep folder).
    public var refused: String?
    public var timeZone: TimeZone
    public var exchanges: [Exchange]
    /// The mails to the people who must act (`mail:`); none are composed when nil.
    public var mail: MailSettings?

    public func exchange(_ id: String) -> Exchange? { exchanges.first { $0.id == id } }
}

/// One exchange: a partner's flow, a direction, a location and a schedule.
public struct Exchange: Sendable {
    /// What to do with a partner's file once handled: leave it (remembered by name, size, stamp and hash), delete
    /// it, or move it into a folder of the location.
    public enum Disposal: Sendable, Equatable, CustomStringConvertible {
        case keep, delete
        case folder(String)

        public var description: String {
            switch self {
            case .keep: "keep"
            case .delete: "delete"
            case .folder(let folder): folder
            }
        }
    }

    /// When a file is complete.
    public enum Readiness: Sendable, Equatable {
        /// Its size (and stamp) did not change for this many seconds.
        case stableSeconds(Int)
        /// A marker file is there; `{name}` in the template stands for the file's name.
        case doneFile(String)
    }

    public struct Retries: Sendable, Equatable {
        public var attempts: Int
        /// Seconds before the second attempt, doubled for each next one, up to `maxBackoff`.
        public var backoff: Double
        public var maxBackoff: Double

        public func delay(beforeAttempt attempt: Int) -> Double {
            min(maxBackoff, backoff * pow(2, Double(max(0, attempt - 2))))
        }
    }

    public var id: String
    public var partner: String?
    public var flow: String
    public var direction: FlowDirection
    public var endpoint: Endpoint
    public var patterns: [String]
    public var schedule: CronSchedule
    public var readiness: Readiness
    public var archive: Disposal
    public var errors: Disposal
    public var retries: Retries
    /// Where rejection notices of this exchange's files go (inbound).
    public var notices: Endpoint?
    /// The XSD the files are checked against while read (optional).
    public var schema: String?
    /// Seconds a claim on a file holds before another gateway may take it over.
    public var lease: Double
    /// The exchanges of the same cycle that run before this one (`after:`): a feedback import after the sourcing
    /// that made the proposals it answers, the alerts after the files they come from.
    public var after: [String] = []
    /// What an outbound exchange writes, beyond its flow (`format`, `territory`, `limit`).
    public var output = OutputOptions()

    /// The options of an outbound exchange's emitter.
    public struct OutputOptions: Sendable, Equatable {
        /// `candidates`: the format the team receives (csv, json or xml).
        public var format: FileFormat = .csv
        /// `candidates`: only the posts of this département (67: Développeurs Emploi, 68: Conseillers Relais
        /// Entreprises); every open post when nil.
        public var territory: String?
        /// `candidates`: the most candidates proposed for a post in one run.
        public var limit = 20
        /// `reports`: French decimals in the CSV reports (`12,5 %`), for a French spreadsheet.
        public var decimalComma = false

        public init() {}
    }

    /// Whether a file name matches one of the patterns (shell globs).
    public func matches(_ name: String) -> Bool {
        patterns.contains { fnmatch($0, name, 0) == 0 }
    }
}

/// Every problem of a configuration, listed together.
public struct ConfigError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.map { "- " + $0 }.joined(separator: "\n") }
}

extension GatewayConfig {
    /// The outbound flows an `out` exchange can send: the operators' alerts, the rejection notices, the candidates
    /// for the open job posts, every report of the programmes, and the CV-deposit check.
    public static let outboundFlows = OutboundKind.allCases.map(\.rawValue)

    /// The exchanges in the order a cycle runs them: each after those its `after:` names, otherwise in the
    /// order of the file.
    public func ordered(_ chosen: [Exchange]) -> [Exchange] {
        let ids = Set(chosen.map(\.id))
        var done = Set<String>()
        var result: [Exchange] = []
        var pending = chosen
        while !pending.isEmpty {
            // The first exchange whose predecessors (among the chosen) have run; a cycle is refused at load, so
            // there is always one.
            guard
                let index = pending.firstIndex(where: { exchange in
                    exchange.after.allSatisfy { !ids.contains($0) || done.contains($0) }
                })
            else { return result + pending }
            let next = pending.remove(at: index)
            done.insert(next.id)
            result.append(next)
        }
        return result
    }

    /// Every exchange that comes before `exchange` in a cycle, through its `after:` and theirs.
    public func predecessors(of exchange: Exchange) -> Set<String> {
        var found = Set<String>()
        var next = exchange.after
        while let id = next.popLast() {
            guard found.insert(id).inserted else { continue }
            next += self.exchange(id)?.after ?? []
        }
        return found
    }

    /// Reads and checks a configuration file; `knownFlows` are the flow ids of the mappings, `environment` the
    /// variables the credentials may name (`password-env`…), as the application read them.
    public static func load(
        path: String, knownFlows: Set<String>, environment: [String: String] = [:]
    ) throws -> GatewayConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(problems: ["configuration illisible : \(path)"])
        }
        return try parse(yaml: text, knownFlows: knownFlows, environment: environment)
    }

    public static func parse(
        yaml: String, knownFlows: Set<String>, environment: [String: String] = [:]
    ) throws -> GatewayConfig {
        let root: [String: Any]
        do {
            root = try YAMLReader.document(yaml, rootHint: "clés store, work, exchanges…").root
        } catch {
            throw ConfigError(problems: error.problems)
        }
        var reader = ConfigReader(environment: environment)
        reader.unknownKeys(
            root, allowed: ["store", "mappings", "work", "refused", "timezone", "defaults", "exchanges", "mail"], at: ""
        )
        let zoneName = reader.string(root, "timezone", at: "") ?? "Europe/Paris"
        let zone = TimeZone(identifier: zoneName)
        if zone == nil { reader.problem("timezone : fuseau « \(zoneName) » inconnu") }
        let defaults = root["defaults"] as? [String: Any] ?? [:]
        if root["defaults"] != nil && !(root["defaults"] is [String: Any]) {
            reader.problem("defaults : un objet est attendu")
        }
        var config = GatewayConfig(
            store: reader.string(root, "store", at: ""), mappings: reader.string(root, "mappings", at: ""),
            work: reader.string(root, "work", at: "") ?? "data/spool", refused: reader.string(root, "refused", at: ""),
            timeZone: zone ?? TimeZone(identifier: "Europe/Paris")!, exchanges: [])
        guard let list = root["exchanges"] as? [Any], !list.isEmpty else {
            reader.problem("exchanges : une liste d'échanges non vide est attendue")
            throw ConfigError(problems: reader.problems)
        }
        var seen = Set<String>()
        for (index, item) in list.enumerated() {
            guard let raw = item as? [String: Any] else {
                reader.problem("exchanges[\(index)] : un objet est attendu")
                continue
            }
            let merged = defaults.merging(raw) { _, own in own }
            let id = (raw["id"] as? String) ?? ""
            let at = "exchanges[\(index)]" + (id.isEmpty ? "" : " (\(id))")
            if id.isEmpty || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                reader.problem("\(at) : id requis, lettres, chiffres, - et _ seulement")
            } else if !seen.insert(id).inserted {
                reader.problem("\(at) : id en double")
            }
            if let exchange = reader.exchange(merged, id: id, at: at, zone: config.timeZone, knownFlows: knownFlows) {
                config.exchanges.append(exchange)
            }
        }
        reader.checkOrder(config.exchanges, declared: seen)
        if let mail = root["mail"] { config.mail = reader.mail(mail) }
        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return config
    }
}

/// What an outbound exchange sends.
public enum OutboundKind: String, Sendable, CaseIterable {
    case operatorAlerts = "operator-alerts"
    case rejectionNotices = "rejection-notices"
    case candidates
    case reports
    case cvDepositCheck = "cv-deposit-check"
}

/// Walks the YAML tree, collecting every problem instead of stopping at the first.
struct ConfigReader {
    /// The variables a `…-env` credential may name.
    let environment: [String: String]
    /// The shared typed reads, and the problems found.
    var yaml = YAMLReader()
    var problems: [String] { yaml.problems }

    mutating func problem(_ text: String) { yaml.problems.append(text) }

    /// Keys that would hold a secret in the file itself: refused, the file names a reference instead.
    static let inlineSecrets: [String: String] = [
        "password": "password-env ou password-file", "passphrase": "passphrase-env ou passphrase-file",
        "token": "token-env ou token-file", "secret": "une variable d'environnement ou un fichier",
        "private-key": "key-file (le chemin de la clé)", "key": "key-file (le chemin de la clé)",
    ]

    /// Records the keys not allowed, a secret written in the file itself with the reference to use instead.
    mutating func unknownKeys(_ object: [String: Any], allowed: Set<String>, at: String) {
        yaml.allowOnly(allowed.sorted(), in: object, at: at, refused: Self.refusedSecrets)
    }

    static let refusedSecrets = inlineSecrets.reduce(into: [String: String]()) { refused, secret in
        refused[secret.key] = "secret en clair refusé (« \(secret.key) ») : utiliser \(secret.value)"
    }

    mutating func string(_ object: [String: Any], _ key: String, at: String) -> String? {
        yaml.text(key, in: object, at: at)
    }

    mutating func number(_ object: [String: Any], _ key: String, at: String) -> Double? {
        yaml.number(key, in: object, at: at)
    }

    /// `after:` names exchanges of the file, and no exchange comes (even indirectly) after itself.
    /// `declared`: every id of the file, those of exchanges refused for another reason included.
    mutating func checkOrder(_ exchanges: [Exchange], declared: Set<String>) {
        let byID = Dictionary(exchanges.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for exchange in exchanges {
            for other in exchange.after where !declared.contains(other) {
                problem("échange \(exchange.id) : after : échange « \(other) » inconnu")
            }
        }
        // Depth-first: a path that comes back to an exchange on it is a cycle, named once.
        var state: [String: Bool] = [:]  // false: on the current path; true: done
        var reported = Set<String>()
        func visit(_ id: String, path: [String]) {
            if state[id] == true { return }
            if state[id] == false {
                let cycle = Array(path[(path.firstIndex(of: id) ?? 0)...]) + [id]
                if reported.insert(Set(cycle).sorted().joined(separator: ",")).inserted {
                    problem(
                        "échanges en cycle (after) : \(cycle.joined(separator: " → ")) : aucun ne peut passer le premier"
                    )
                }
                return
            }
            state[id] = false
            for next in byID[id]?.after ?? [] where byID[next] != nil && next != id { visit(next, path: path + [id]) }
            state[id] = true
        }
        for exchange in exchanges { visit(exchange.id, path: []) }
    }

    mutating func exchange(
        _ object: [String: Any], id: String, at: String, zone: TimeZone, knownFlows: Set<String>
    ) -> Exchange? {
        let before = problems.count
        unknownKeys(
            object,
            allowed: [
                "id", "partner", "flow", "direction", "transport", "location", "pattern", "credentials", "host-key",
                "tls", "timeouts", "schedule", "readiness", "archive", "errors", "retries", "notices", "schema",
                "lease", "after", "format", "territory", "limit", "decimal-comma",
            ], at: at)
        let direction = FlowDirection(rawValue: string(object, "direction", at: at) ?? "")
        if direction == nil { problem("\(at) : direction : in ou out") }
        let flow = string(object, "flow", at: at) ?? ""
        if flow.isEmpty {
            problem("\(at) : flow requis")
        } else if direction == .out && !GatewayConfig.outboundFlows.contains(flow) {
            problem(
                "\(at) : flow « \(flow) » : un échange sortant envoie \(GatewayConfig.outboundFlows.joined(separator: " ou "))"
            )
        } else if direction == .in && !knownFlows.contains(flow) {
            problem("\(at) : flow « \(flow) » inconnu des mappings (\(knownFlows.sorted().joined(separator: ", ")))")
        }
        let endpoint = self.endpoint(object, at: at, direction: direction)
        var patterns: [String] = []
        switch object["pattern"] {
        case let one as String: patterns = [one]
        case let many as [Any]: patterns = many.compactMap { $0 as? String }
        case nil: if direction == .in { problem("\(at) : pattern requis (motif de nom de fichier, ex. « *.xml »)") }
        default: problem("\(at) : pattern : un motif ou une liste de motifs")
        }
        var schedule: CronSchedule?
        do {
            schedule = try CronSchedule(string(object, "schedule", at: at) ?? "@daily", timeZone: zone)
        } catch {
            problem("\(at) : schedule \(error)")
        }
        var readiness = Exchange.Readiness.stableSeconds(0)
        if let value = object["readiness"] {
            if let spec = value as? [String: Any] {
                unknownKeys(spec, allowed: ["stable-seconds", "done-file"], at: at + " readiness")
                let seconds = number(spec, "stable-seconds", at: at + " readiness")
                let marker = string(spec, "done-file", at: at + " readiness")
                switch (seconds, marker) {
                case (let seconds?, nil) where seconds >= 0: readiness = .stableSeconds(Int(seconds))
                case (nil, let marker?) where !marker.isEmpty && marker != "{name}": readiness = .doneFile(marker)
                default:
                    problem("\(at) : readiness : stable-seconds (≥ 0) ou done-file (ex. « {name}.ok »), l'un des deux")
                }
            } else {
                problem("\(at) : readiness : un objet { stable-seconds: N } ou { done-file: \"{name}.ok\" }")
            }
        }
        let archive = disposal(object, "archive", at: at) ?? .keep
        let errors = disposal(object, "errors", at: at) ?? .keep
        let retries = self.retries(
            object["retries"], at: at, defaults: Exchange.Retries(attempts: 3, backoff: 2, maxBackoff: 60))
        var notices: Endpoint?
        if let value = object["notices"] {
            if let spec = value as? [String: Any] {
                if direction == .out { problem("\(at) : notices : seulement pour un échange entrant") }
                unknownKeys(
                    spec, allowed: ["transport", "location", "credentials", "host-key", "tls", "timeouts"],
                    at: at + " notices")
                notices = self.endpoint(spec, at: at + " notices", direction: .out)
            } else {
                problem("\(at) : notices : un objet { transport, location, … }")
            }
        }
        let schema = string(object, "schema", at: at)
        if let schema, !FileManager.default.isReadableFile(atPath: schema) {
            problem("\(at) : schema introuvable : \(schema)")
        }
        let lease = number(object, "lease", at: at) ?? 900
        var after: [String] = []
        switch object["after"] {
        case nil: break
        case let one as String: after = [one]
        case let many as [Any] where many.allSatisfy({ $0 is String }): after = many.compactMap { $0 as? String }
        default: problem("\(at) : after : un id d'échange ou une liste d'ids (ex. [cnaf, france-travail])")
        }
        if after.contains(id) { problem("\(at) : after : un échange ne passe pas après lui-même") }
        let output = self.output(object, flow: flow, at: at)
        guard problems.count == before, let direction, let endpoint, let schedule else { return nil }
        var exchange = Exchange(
            id: id, partner: string(object, "partner", at: at), flow: flow, direction: direction, endpoint: endpoint,
            patterns: patterns, schedule: schedule, readiness: readiness, archive: archive, errors: errors,
            retries: retries, notices: notices, schema: schema, lease: lease)
        exchange.after = after
        exchange.output = output
        return exchange
    }

    /// `format`, `territory` and `limit`: options of the candidates' exchange only; `decimal-comma` of the reports'.
    mutating func output(_ object: [String: Any], flow: String, at: String) -> Exchange.OutputOptions {
        var output = Exchange.OutputOptions()
        if let value = object["decimal-comma"] {
            if flow != OutboundKind.reports.rawValue {
                problem("\(at) : decimal-comma : seulement pour un échange de flow « reports »")
            } else if let flag = value as? Bool {
                output.decimalComma = flag
            } else {
                problem("\(at) : decimal-comma : true ou false")
            }
        }
        let candidates = flow == OutboundKind.candidates.rawValue
        for key in ["format", "territory", "limit"] where object[key] != nil && !candidates {
            problem("\(at) : \(key) : seulement pour un échange de flow « candidates »")
        }
        guard candidates else { return output }
        if let text = string(object, "format", at: at) {
            if let format = FileFormat(rawValue: text) {
                output.format = format
            } else {
                problem("\(at) : format : csv, json ou xml")
            }
        }
        // `territory: 67` is read by YAML as a number, `territory: "67"` as text: both say the département.
        let given = (object["territory"] as? Int).map(String.init) ?? string(object, "territory", at: at)
        if let territory = given {
            if EmployerTeam(departement: territory) == nil {
                problem("\(at) : territory : 67 (Développeurs Emploi) ou 68 (Conseillers Relais Entreprises)")
            }
            output.territory = territory
        }
        if let limit = number(object, "limit", at: at) {
            if limit < 1 || limit != limit.rounded() { problem("\(at) : limit : un nombre entier ≥ 1") }
            output.limit = max(1, Int(limit))
        }
        return output
    }

    /// `retries: { attempts, backoff, max-backoff }`, each defaulting to `defaults`'.
    mutating func retries(_ value: Any?, at: String, defaults: Exchange.Retries) -> Exchange.Retries {
        guard let value else { return defaults }
        guard let spec = value as? [String: Any] else {
            problem("\(at) : retries : un objet { attempts, backoff, max-backoff }")
            return defaults
        }
        var retries = defaults
        unknownKeys(spec, allowed: ["attempts", "backoff", "max-backoff"], at: at + " retries")
        retries.attempts = Int(number(spec, "attempts", at: at + " retries") ?? Double(defaults.attempts))
        retries.backoff = number(spec, "backoff", at: at + " retries") ?? defaults.backoff
        retries.maxBackoff =
            number(spec, "max-backoff", at: at + " retries") ?? max(defaults.maxBackoff, retries.backoff)
        if retries.attempts < 1 || retries.backoff < 0 || retries.maxBackoff < retries.backoff {
            problem("\(at) : retries : attempts ≥ 1, backoff ≥ 0, max-backoff ≥ backoff")
        }
        return retries
    }

    mutating func disposal(_ object: [String: Any], _ key: String, at: String) -> Exchange.Disposal? {
        guard let text = string(object, key, at: at) else { return nil }
        switch text {
        case "keep": return .keep
        case "delete": return .delete
        case "": problem("\(at) : \(key) : keep, delete ou un dossier")
        default:
            if text.split(separator: "/").contains("..") { problem("\(at) : \(key) : « .. » refusé dans le dossier") }
        }
        return .folder(text)
    }

    mutating func endpoint(_ object: [String: Any], at: String, direction: FlowDirection?) -> Endpoint? {
        guard let kindName = string(object, "transport", at: at), let kind = Endpoint.Kind(rawValue: kindName) else {
            problem("\(at) : transport : folder, sftp, ftps ou https")
            return nil
        }
        guard let location = string(object, "location", at: at), !location.isEmpty else {
            problem("\(at) : location requis (dossier ou URL)")
            return nil
        }
        var endpoint = Endpoint(kind: kind, location: location)
        if kind != .folder {
            let schemes: [Endpoint.Kind: [String]] = [.sftp: ["sftp"], .ftps: ["ftps", "ftp"], .https: ["https"]]
            let url = URL(string: location.replacingOccurrences(of: "{partner}", with: "partner"))
            if let scheme = url?.scheme?.lowercased(), schemes[kind]!.contains(scheme), url?.host != nil {
                if url?.password != nil {
                    problem("\(at) : secret en clair refusé dans l'URL de location : utiliser credentials")
                }
                endpoint.user = url?.user
            } else {
                problem(
                    "\(at) : location « \(location) » : URL \(schemes[kind]!.joined(separator: ":// ou "))://hôte/chemin/ attendue"
                )
            }
        }
        if let value = object["credentials"] {
            if let spec = value as? [String: Any] {
                unknownKeys(
                    spec,
                    allowed: [
                        "user", "password-env", "password-file", "key-file", "public-key-file", "passphrase-env",
                        "passphrase-file", "token-env", "token-file",
                    ], at: at + " credentials")
                if let user = string(spec, "user", at: at) { endpoint.user = user }
                endpoint.password = reference(spec, "password", at: at)
                endpoint.keyPassphrase = reference(spec, "passphrase", at: at)
                endpoint.token = reference(spec, "token", at: at)
                endpoint.privateKeyFile = readableFile(spec, "key-file", at: at)
                endpoint.publicKeyFile = readableFile(spec, "public-key-file", at: at)
                for (key, text) in spec {
                    if let text = text as? String, text.contains("-----BEGIN") {
                        problem("\(at) : credentials.\(key) : clé en clair refusée : donner le chemin (key-file)")
                    }
                }
            } else {
                problem("\(at) : credentials : un objet { user, password-env, key-file, … }")
            }
        }
        if let value = object["host-key"] {
            if let spec = value as? [String: Any] {
                unknownKeys(spec, allowed: ["known-hosts", "sha256"], at: at + " host-key")
                endpoint.knownHosts = readableFile(spec, "known-hosts", at: at)
                endpoint.hostKeySHA256 = string(spec, "sha256", at: at)
            } else {
                problem("\(at) : host-key : { known-hosts: chemin } ou { sha256: empreinte }")
            }
        }
        if let value = object["tls"] {
            if let spec = value as? [String: Any] {
                unknownKeys(spec, allowed: ["ca-file"], at: at + " tls")
                endpoint.caFile = readableFile(spec, "ca-file", at: at)
            } else {
                problem("\(at) : tls : { ca-file: chemin }")
            }
        }
        (endpoint.connectTimeout, endpoint.idleTimeout) = timeouts(
            object["timeouts"], at: at, defaults: (endpoint.connectTimeout, endpoint.idleTimeout))
        switch kind {
        case .sftp:
            if endpoint.knownHosts == nil && endpoint.hostKeySHA256 == nil {
                problem(
                    "\(at) : sftp : host-key requis (known-hosts ou sha256) : la clé du serveur est toujours vérifiée")
            }
            if endpoint.privateKeyFile == nil && endpoint.password == nil {
                problem("\(at) : sftp : credentials.key-file ou credentials.password-env/password-file requis")
            }
            if endpoint.user == nil { problem("\(at) : sftp : credentials.user requis") }
        case .ftps:
            if endpoint.user == nil || endpoint.password == nil {
                problem("\(at) : ftps : credentials.user et password-env/password-file requis")
            }
        case .https, .folder: break
        }
        if kind != .sftp && (endpoint.knownHosts != nil || endpoint.hostKeySHA256 != nil) {
            problem("\(at) : host-key ne vaut que pour sftp")
        }
        return endpoint
    }

    /// `timeouts: { connect: s, idle: s }`, each defaulting to `defaults`'.
    mutating func timeouts(_ value: Any?, at: String, defaults: (Int, Int)) -> (Int, Int) {
        guard let value else { return defaults }
        guard let spec = value as? [String: Any] else {
            problem("\(at) : timeouts : { connect: s, idle: s }")
            return defaults
        }
        unknownKeys(spec, allowed: ["connect", "idle"], at: at + " timeouts")
        let connect = Int(number(spec, "connect", at: at) ?? Double(defaults.0))
        let idle = Int(number(spec, "idle", at: at) ?? Double(defaults.1))
        if connect < 1 || idle < 1 { problem("\(at) : timeouts : des secondes ≥ 1") }
        return (connect, idle)
    }

    mutating func reference(_ spec: [String: Any], _ name: String, at: String) -> SecretReference? {
        let variable = string(spec, name + "-env", at: at)
        let file = string(spec, name + "-file", at: at)
        switch (variable, file) {
        case (let variable?, nil):
            if environment[variable]?.isEmpty ?? true {
                problem("\(at) : credentials.\(name)-env : variable d'environnement \(variable) absente ou vide")
            }
            return .environment(variable)
        case (nil, let file?):
            if !FileManager.default.isReadableFile(atPath: file) {
                problem("\(at) : credentials.\(name)-file : fichier illisible : \(file)")
            }
            return .file(file)
        case (nil, nil): return nil
        default:
            problem("\(at) : credentials : \(name)-env ou \(name)-file, pas les deux")
            return nil
        }
    }

    mutating func readableFile(_ spec: [String: Any], _ key: String, at: String) -> String? {
        guard let path = string(spec, key, at: at) else { return nil }
        if !FileManager.default.isReadableFile(atPath: path) { problem("\(at) : \(key) : fichier illisible : \(path)") }
        return path
    }
}
