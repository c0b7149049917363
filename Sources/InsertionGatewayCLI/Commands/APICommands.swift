import ArgumentParser
import Foundation
import GatewayCore
import GatewayMapping
import GatewayServer
import GatewayStore
import GatewayTelemetry
import Hummingbird
import Logging

/// The HTTP listener's options, for `api` and `serve`.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Adresse d'écoute HÔTE:PORT (0.0.0.0 : toutes les interfaces ; port 0 : choisi par le système).")
    var listen = "127.0.0.1:8080"

    @Option(help: "Taille maximale d'un corps de requête, en Mio.")
    var maxBodyMB = 64

    @Option(help: "Requêtes par seconde et par clé, en moyenne (0 : sans limite).")
    var rate: Double = 20

    @Option(help: "Requêtes acceptées d'un coup par clé.")
    var burst: Double = 40

    @Option(help: "Durée maximale d'une requête, en secondes (503 au-delà).")
    var timeout = 120

    @Option(help: "Certificat TLS du serveur (PEM, chaîne complète) : l'API sert alors en HTTPS.")
    var tlsCert: String?

    @Option(help: "Clé privée TLS (PEM), avec --tls-cert.")
    var tlsKey: String?

    @Option(help: "Durée d'une session de la console, en heures.")
    var sessionHours = 8

    @Flag(
        help:
            "Cookies de session marqués Secure même sans --tls-cert (derrière un mandataire HTTPS). Ils le sont toujours avec TLS ou hors de la boucle locale."
    )
    var secureCookies = false

    /// `--tls-cert` and `--tls-key`, given together or not at all.
    func tls() throws -> (certificate: String, key: String)? {
        switch (tlsCert, tlsKey) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return (certificate, key)
        default: throw ValidationError("--tls-cert et --tls-key vont ensemble.")
        }
    }

    /// The HTTP server of `api`, announcing where it listens once it does.
    func application(_ api: GatewayAPI) throws -> some ApplicationProtocol {
        let (host, port) = try address()
        do {
            return try api.buildApplication(host: host, port: port, tls: try tls(), onListening: announce(host))
        } catch let error as APIStartError {
            throw GatewayCLIError(error.description)
        }
    }

    /// `--listen` as host and port.
    func address() throws -> (host: String, port: Int) {
        let parts = listen.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port) else {
            throw ValidationError("--listen attend HÔTE:PORT, par exemple 127.0.0.1:8080")
        }
        return (String(parts[0]), port)
    }

    /// The API over `store`, its files beside `storeLocation` (outbox, refused, uploads).
    /// The API over `store`; its metrics go to `metrics` (the process's registry, shared with the scheduler).
    func api(
        store: GatewayStore, storeLocation: String, outbox: String?, common: CommonOptions, logger: Logger,
        metrics: GatewayMetrics
    ) throws -> GatewayAPI {
        let programmes: ProgrammeCatalogue
        let structures: StructureCatalogue
        do {
            (programmes, structures) = try ProgrammeLoader.load(directory: common.mappings)
        } catch {
            throw GatewayCLIError("Programmes invalides dans \(common.mappings) :\n\(error.description)")
        }
        let data = StoreOptions.dataDirectory(beside: storeLocation)
        var configuration = APIConfiguration(
            outboxDirectory: outbox ?? (data as NSString).appendingPathComponent("outbox"),
            keepDirectory: (data as NSString).appendingPathComponent("refused"),
            uploadDirectory: (data as NSString).appendingPathComponent("uploads"))
        configuration.maxBodyBytes = maxBodyMB << 20
        configuration.rateLimit = rate
        configuration.rateBurst = burst
        configuration.requestTimeout = .seconds(timeout)
        configuration.mappingDirectory = common.mappings
        configuration.console.sessionLifetime = .seconds(max(1, sessionHours) * 3600)
        // Plain HTTP on loopback (a workstation, the tests) is the one case a browser would not send a Secure cookie.
        let host = (try? address().host) ?? ""
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        configuration.console.secureCookies = secureCookies || tlsCert != nil || !loopback
        return GatewayAPI(
            repositories: APIRepositories(store), flows: try common.allFlows(), programmes: programmes,
            structures: structures, configuration: configuration, metrics: metrics, logger: logger)
    }

    /// Says where the API listens, once it does.
    func announce(_ host: String) -> @Sendable (Int) async -> Void {
        let scheme = tlsCert == nil ? "http" : "https"
        return { port in Output.line("API à l'écoute sur \(scheme)://\(host):\(port).") }
    }
}

struct API: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract:
            "Sert l'API HTTP des partenaires seule (sans calendrier) : dépôts, retraits, avis de rejet, suivi, rapports, /health, /metrics."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var outbox: OutboxOptions
    @OptionGroup var listener: ListenerOptions

    func run() async throws {
        let logger = common.bootstrapLogging()
        let metrics = GatewayMetrics()
        metrics.bootstrap()
        let api = try listener.api(
            store: try storeOptions.open(), storeLocation: storeOptions.store, outbox: outbox.out, common: common,
            logger: logger, metrics: metrics)
        try await listener.application(api).runService()
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Clés d'API des partenaires (gardées hachées) : créer, lister, révoquer.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Crée une clé pour un partenaire et l'affiche une seule fois.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Partenaire pour lequel la clé parle (ex. france-travail, developpeurs-emploi, OP67-SOCIOPRO).")
        var partner: String

        @Option(
            name: .customLong("scope"),
            help: "Portée (répétable) : flow:<flux>:in (dépôt), flow:<flux>:out (retrait), admin (suivi et rapports).")
        var scopes: [String]

        @Option(help: "Libellé libre (qui détient la clé).")
        var label: String?

        @Flag(help: "Sortie JSON.")
        var json = false

        func run() throws {
            _ = common.bootstrapLogging()
            let flows = try common.allFlows()
            let key: String
            let record: APIKeyRecord
            do {
                _ = try APIKeys.check(partner: partner, scopes: scopes, flows: flows)
                (key, record) = try APIKeys.create(
                    partner: partner, scopes: scopes, label: label, flows: flows, actor: "cli",
                    access: try storeOptions.open().access)
            } catch let problem as APIKeys.Problem {
                throw ValidationError(problem.description)
            }
            if json {
                struct Created: Encodable {
                    var key: String
                    var record: APIKeyRecord
                }
                try Output.json(Created(key: key, record: record))
            } else {
                Output.line(key)
                Output.error(
                    "Clé \(record.keyID) créée pour \(partner) (\(scopes.joined(separator: " "))). Elle ne sera plus affichée."
                )
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Les clés (préfixe, partenaire, portées), jamais la clé.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "table, csv ou json.")
        var format: Tabular.Format = .table

        func run() throws {
            _ = common.bootstrapLogging()
            let keys = try storeOptions.open().access.apiKeys()
            try Tabular(
                columns: ["cle", "partenaire", "portees", "libelle", "creee_le", "revoquee_le"],
                rows: keys.map {
                    [
                        $0.keyID, $0.partner, $0.scopes.map(\.description).joined(separator: " "), $0.label ?? "",
                        $0.createdAt,
                        $0.revokedAt ?? "",
                    ]
                }
            ).write(format)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Révoque une clé par son préfixe (igw_…).")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Argument(help: "Préfixe de la clé (colonne cle de keys list).")
        var keyID: String

        func run() throws {
            _ = common.bootstrapLogging()
            let store = try storeOptions.open()
            guard try APIKeys.revoke(keyID: keyID, actor: "cli", access: store.access) else {
                Output.error("Aucune clé active « \(keyID) ».")
                throw ExitCode(1)
            }
            Output.line("Clé \(keyID) révoquée.")
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract:
            "Le journal d'audit des accès aux données personnelles : qui, quoi (fichier, personne), quand, pourquoi.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Depuis ce jour ou cet instant (AAAA-MM-JJ ou ISO 8601).")
    var since: String?

    @Option(help: "Seulement ce partenaire.")
    var partner: String?

    @Option(help: "Nombre maximal d'entrées.")
    var limit = 10_000

    @Option(help: "table, csv ou json.")
    var format: Tabular.Format = .table

    func run() throws {
        _ = common.bootstrapLogging()
        if let since, LocalDate(iso: since.prefix(10)) == nil {
            throw ValidationError("--since attend AAAA-MM-JJ ou un instant ISO 8601")
        }
        let entries = try storeOptions.open().access.auditLog(
            since: since, partner: partner, limit: limit)
        try Tabular(
            columns: ["id", "quand", "qui", "partenaire", "action", "objet", "reference", "motif", "route", "statut"],
            rows: entries.map {
                [
                    String($0.id), $0.at, $0.actor, $0.partner ?? "", $0.action, $0.subjectKind.rawValue, $0.subject,
                    $0.purpose, $0.route ?? "", $0.status.map(String.init) ?? "",
                ]
            }
        ).write(format)
    }
}
