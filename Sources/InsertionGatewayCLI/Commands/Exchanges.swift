import ArgumentParser
import Foundation
import GatewayCore
import GatewayExchange
import GatewayMapping
import GatewayServer
import GatewayStore
import GatewayStorePostgres
import GatewayTelemetry
import Logging
import ServiceLifecycle

/// Options of the commands that read `gateway.yaml`.
struct ExchangeOptions: ParsableArguments {
    @Option(
        help: "Configuration des échanges (par défaut $GATEWAY_CONFIG, ./gateway.yaml, sinon Samples/gateway.yaml).")
    var config: String?

    @Option(help: "Base SQLite (par défaut celle de la configuration, sinon $GATEWAY_STORE ou data/gateway.sqlite).")
    var store: String?

    @Option(name: .customLong("only"), help: "Seulement cet échange (répétable) ; lancé même s'il n'est pas dû.")
    var only: [String] = []

    var configPath: String {
        if let config { return config }
        if let path = ProcessInfo.processInfo.environment["GATEWAY_CONFIG"] { return path }
        return FileManager.default.fileExists(atPath: "gateway.yaml") ? "gateway.yaml" : "Samples/gateway.yaml"
    }

    /// The configuration, checked against the mappings; every problem listed, exit 2.
    func load(common: CommonOptions) throws -> (GatewayConfig, ExchangeRunner) {
        let path = configPath
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        // The mappings folder may come from the configuration itself.
        let mappingsDirectory: String
        if let mappings = try? GatewayConfig.parseMappingsKey(yaml: text), common.mappingsIsDefault {
            mappingsDirectory = mappings
        } else {
            mappingsDirectory = common.mappings
        }
        var options = common
        options.mappings = mappingsDirectory
        let flows = try options.allFlows()
        var config: GatewayConfig
        do {
            config = try GatewayConfig.load(
                path: path, knownFlows: Set(flows.keys), environment: ProcessInfo.processInfo.environment)
        } catch let error as ConfigError {
            Output.error("Configuration refusée (\(path)) :\n\(error.description)")
            throw ExitCode(2)
        }
        for id in only where config.exchange(id) == nil {
            throw ValidationError(
                "Échange « \(id) » inconnu : \(config.exchanges.map(\.id).joined(separator: ", ")).")
        }
        config.store =
            store ?? config.store ?? ProcessInfo.processInfo.environment["GATEWAY_STORE"]
            ?? "data/gateway.sqlite"
        // Refused files beside the store, as the other commands keep them (GATEWAY_DATA for a PostgreSQL store).
        config.refused =
            config.refused
            ?? (StoreOptions.dataDirectory(beside: config.store!) as NSString).appendingPathComponent("refused")
        let gatewayStore = try StoreOptions.open(config.store!)
        var runner = ExchangeRunner(
            config: config, store: gatewayStore, flows: flows, logger: common.bootstrapLogging())
        runner.environment = ProcessInfo.processInfo.environment
        // The reports' exchanges read the programmes beside the mappings: refused at start when they cannot.
        let reportKinds: Set<String> = [OutboundKind.reports.rawValue, OutboundKind.cvDepositCheck.rawValue]
        if config.exchanges.contains(where: { $0.direction == .out && reportKinds.contains($0.flow) }) {
            do {
                (runner.programmes, runner.structures) = try ProgrammeLoader.load(directory: mappingsDirectory)
            } catch {
                Output.error(
                    "Configuration refusée (\(path)) : programmes invalides dans \(mappingsDirectory) :\n\(error)")
                throw ExitCode(2)
            }
        }
        // The mails' templates and server: refused at start when a template is missing or a password unreadable.
        if let mail = config.mail {
            do {
                runner.notifier = try Notifier(
                    settings: mail, mappings: mappingsDirectory, environment: runner.environment)
            } catch {
                Output.error("Configuration refusée (\(path)) :\n\(error)")
                throw ExitCode(2)
            }
        }
        return (config, runner)
    }
}

extension CommonOptions {
    var mappingsIsDefault: Bool {
        mappings == (ProcessInfo.processInfo.environment["GATEWAY_MAPPINGS"] ?? "Mappings")
            && ProcessInfo.processInfo.environment["GATEWAY_MAPPINGS"] == nil
    }
}

extension GatewayConfig {
    /// The `mappings` key alone, read before the flows are loaded.
    static func parseMappingsKey(yaml: String) throws -> String? {
        guard let line = yaml.split(separator: "\n").first(where: { $0.hasPrefix("mappings:") }) else { return nil }
        let value = line.dropFirst("mappings:".count).split(separator: "#").first ?? ""
        let trimmed = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(
            in: CharacterSet(charactersIn: "\"'"))
        return trimmed.isEmpty ? nil : trimmed
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Lance une fois les échanges dus (gateway.yaml) : reçoit, importe, envoie, archive, et résume ce qui a été fait."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var exchanges: ExchangeOptions

    @Option(
        help:
            "Jour du cycle (AAAA-MM-JJ) : date des fichiers émis, des propositions et des rapports ; par défaut aujourd'hui (Europe/Paris)."
    )
    var date: String?

    @Flag(help: "Tous les échanges, dus ou non (un cycle complet), dans l'ordre de leurs « after ».")
    var all = false

    @Flag(help: "Résumé JSON sur la sortie standard.")
    var json = false

    @Option(
        help:
            "Écrit les métriques de l'exécution (format Prometheus) dans ce fichier, pour le collecteur textfile d'un node exporter (ex. /var/lib/node_exporter/insertion-gateway.prom)."
    )
    var metricsFile: String?

    func run() throws {
        var (config, runner) = try exchanges.load(common: common)
        let metrics = GatewayMetrics()
        metrics.bootstrap()
        runner.metrics = metrics
        if let date { runner.day = try runDay(date, option: "--date") }
        guard !(all && !exchanges.only.isEmpty) else { throw ValidationError("--all ou --only, pas les deux.") }
        let now = Date()
        let chosen = config.exchanges.filter { exchange in
            if all { return true }
            return exchanges.only.isEmpty
                ? ((try? runner.isDue(exchange, at: now)) ?? true) : exchanges.only.contains(exchange.id)
        }
        var summaries: [ExchangeSummary] = []
        for exchange in config.ordered(chosen) { summaries.append(runner.run(exchange)) }
        // The mails still waiting (a server that was down at the end of a run) are tried once more.
        if summaries.isEmpty { runner.deliverMails() }
        if let metricsFile {
            do {
                try metrics.write(to: metricsFile)
            } catch {
                Output.error("Métriques non écrites dans \(metricsFile) : \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        if json {
            try Output.json(summaries)
        } else {
            if summaries.isEmpty { Output.line("Aucun échange dû maintenant.") }
            for summary in summaries { Output.line(Self.line(summary)) }
        }
        if summaries.contains(where: { $0.outcome == .failed || $0.outcome == .partial }) { throw ExitCode(1) }
    }

    static func line(_ s: ExchangeSummary) -> String {
        let outcome = s.outcome.french
        var parts: [String] = []
        if s.direction == .in {
            parts.append("\(s.applied) importé(s)")
            if s.alreadyReceived > 0 { parts.append("\(s.alreadyReceived) déjà reçu(s)") }
            if s.refused > 0 { parts.append("\(s.refused) refusé(s)") }
            if s.quarantined > 0 { parts.append("\(s.quarantined) enregistrement(s) en quarantaine") }
            if s.notReady > 0 { parts.append("\(s.notReady) pas prêt(s)") }
            if s.heldByOther > 0 { parts.append("\(s.heldByOther) pris par une autre passerelle") }
        }
        if s.sent > 0 || s.direction == .out { parts.append("\(s.sent) envoyé(s)") }
        if s.alreadySent > 0 { parts.append("\(s.alreadySent) déjà envoyé(s)") }
        if s.failed > 0 { parts.append("\(s.failed) en échec") }
        if s.attempts > 1 { parts.append("\(s.attempts) opération(s)") }
        let seconds = String(format: "%.1f", Double(s.durationMS) / 1000)
        return "\(s.exchange) (\(s.direction)) : \(outcome) — " + parts.joined(separator: ", ") + " ; \(seconds) s"
            + (s.message.map { "\n  \($0)" } ?? "")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Le service : les échanges selon leur calendrier (cron, Europe/Paris) et l'API HTTP, ensemble ; SIGTERM : finit le fichier en cours, puis s'arrête."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var exchanges: ExchangeOptions
    @OptionGroup var listener: ListenerOptions

    @Option(help: "Secondes au plus entre deux regards sur le calendrier.")
    var tick: Double = 30

    @Flag(help: "Le calendrier seul, sans l'API (elle tourne alors ailleurs : commande api).")
    var noAPI = false

    @Option(
        help:
            "Échanges lancés ensemble au plus, quand ils sont dus en même temps et qu'aucun ne vient après l'autre (after)."
    )
    var concurrency = 2

    func run() async throws {
        var (config, runner) = try exchanges.load(common: common)
        // One registry for the scheduler and the API: /metrics shows the exchanges' runs beside the requests.
        let metrics = GatewayMetrics()
        metrics.bootstrap()
        runner.metrics = metrics
        var service = ExchangeService(runner: runner, only: Set(exchanges.only))
        service.tick = tick
        guard concurrency >= 1 else { throw ValidationError("--concurrency : un nombre ≥ 1.") }
        service.concurrency = concurrency
        service.onRun = { summary in Output.line(Run.line(summary)) }
        var services: [any Service] = [service]
        if !noAPI {
            var mappings = common
            if let fromConfig = config.mappings, common.mappingsIsDefault { mappings.mappings = fromConfig }
            var api = try listener.api(
                store: runner.store, storeLocation: config.store ?? "data/gateway.sqlite", outbox: nil,
                common: mappings, logger: runner.logger, metrics: metrics)
            let state = service.state
            api.schedulerHealth = { Self.health(state.snapshot) }
            api.runExchangeNow = service.runNow
            let notifying = runner
            api.onFileRefused = { refused in
                notifying.fileRefusedThroughAPI(
                    flow: refused.flow, partner: refused.partner, file: refused.file, outcome: refused.outcome,
                    sha256: refused.sha256)
            }
            services.append(try listener.application(api))
        }
        let group = ServiceGroup(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [],
            logger: runner.logger)
        Output.line("Service démarré (\(runner.config.exchanges.count) échange(s)).")
        try await group.run()
        Output.line("Service arrêté.")
    }

    /// The scheduler's state as `/health` shows it.
    static func health(_ snapshot: SchedulerState.Snapshot) -> SchedulerHealth {
        SchedulerHealth(
            alive: snapshot.isAlive(), lastLook: snapshot.lastLook.map(Journal.stamp), running: snapshot.running,
            exchanges: snapshot.exchanges.map {
                SchedulerHealth.Exchange(
                    id: $0.id, outcome: $0.outcome, finishedAt: $0.finishedAt.map(Journal.stamp),
                    durationMS: $0.durationMS)
            })
    }
}

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Le journal des échanges : chaque exécution, fichier, transfert, nombre, durée et résultat.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Depuis : AAAA-MM-JJ (minuit, Europe/Paris), un instant ISO 8601, ou une durée (30m, 24h, 7d).")
    var since: String?

    @Option(help: "Seulement cet échange.")
    var exchange: String?

    @Flag(help: "Sortie JSON.")
    var json = false

    func run() throws {
        _ = common.bootstrapLogging()
        guard storeOptions.exists() else {
            throw ValidationError("Base introuvable : \(storeOptions.store)")
        }
        let store = try storeOptions.open()
        let runs = try store.exchanges.journal(since: try since.map(Self.instant), exchange: exchange)
        if json {
            try Output.json(runs)
            return
        }
        if runs.isEmpty { Output.line("Journal vide pour cette période.") }
        for run in runs {
            let seconds = run.durationMS.map { String(format: "%.1f s", Double($0) / 1000) } ?? "—"
            Output.line(
                "#\(run.id) \(run.startedAt) \(run.exchange) (\(run.direction)) \(run.outcome) : \(run.files) fichier(s), \(run.bytes) octet(s), \(run.attempts) opération(s), \(seconds)"
                    + (run.message.map { " — \($0)" } ?? ""))
            for t in run.transfers {
                var detail = [t.outcome.rawValue]
                if let sha = t.sha256 { detail.append("sha256 \(sha.prefix(12))") }
                if let size = t.size { detail.append("\(size) o") }
                if let file = t.fileID { detail.append("fichier n° \(file)") }
                if let records = t.records {
                    detail.append(
                        "\(records) lu(s), \(t.accepted ?? 0) accepté(s), \(t.quarantined ?? 0) en quarantaine")
                }
                if let moved = t.movedTo { detail.append("→ \(moved)") }
                if t.attempts > 1 { detail.append("\(t.attempts) essais") }
                if let ms = t.durationMS { detail.append("\(ms) ms") }
                if let message = t.message { detail.append(message) }
                Output.line(
                    "   \(t.direction == .in ? "⇣" : "⇡") \(t.name) : "
                        + detail.joined(separator: ", "))
            }
        }
    }

    /// `--since` as a journal stamp (UTC ISO 8601).
    static func instant(_ text: String) throws -> String {
        let now = Date()
        if let unit = text.last, "mhd".contains(unit), let count = Double(text.dropLast()) {
            let seconds = count * (unit == "m" ? 60 : unit == "h" ? 3600 : 86400)
            return Journal.stamp(now.addingTimeInterval(-seconds))
        }
        if let day = LocalDate(iso: text) {
            return Journal.stamp(Date(timeIntervalSince1970: TimeInterval(ParisTime.startOfDay(day))))
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Journal.stamp(date) }
        throw ValidationError("--since : AAAA-MM-JJ, un instant ISO 8601 ou une durée (30m, 24h, 7d) : \(text)")
    }
}

struct Mails: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mails",
        abstract:
            "Les courriels de la passerelle (mail: de gateway.yaml) : envoyés, en attente d'un nouvel essai, abandonnés, avec leur dernière erreur."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Seulement cet état (répétable) : pending, sending, sent, abandoned.")
    var state: [String] = []

    @Option(help: "Nombre au plus, les plus récents d'abord.")
    var limit = 50

    @Flag(help: "Sortie JSON.")
    var json = false

    func run() throws {
        _ = common.bootstrapLogging()
        guard storeOptions.exists() else { throw ValidationError("Base introuvable : \(storeOptions.store)") }
        var states = Set<QueuedMail.State>()
        for name in state {
            guard let known = QueuedMail.State(rawValue: name) else {
                throw ValidationError("--state : pending, sending, sent ou abandoned, pas « \(name) ».")
            }
            states.insert(known)
        }
        let store = try storeOptions.open()
        let mails = try store.mail.mails(states: states.isEmpty ? nil : states, limit: max(1, limit))
        if json {
            try Output.json(mails)
            return
        }
        let counts = try store.mail.counts()
        Output.line(
            "Courriels : \(counts[.sent] ?? 0) envoyé(s), \(counts[.pending] ?? 0) en attente, "
                + "\(counts[.sending] ?? 0) en cours, \(counts[.abandoned] ?? 0) abandonné(s).")
        for mail in mails {
            let when = mail.sentAt ?? "prochain essai \(mail.nextAttemptAt)"
            Output.line(
                "#\(mail.id) \(mail.state.rawValue) \(mail.event) → \(mail.recipients.joined(separator: ", ")) : "
                    + "« \(mail.subject) », \(mail.attempts) essai(s), \(when)"
                    + (mail.lastError.map { " — \($0)" } ?? ""))
        }
    }
}
