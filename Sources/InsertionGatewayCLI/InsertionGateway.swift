import ArgumentParser
import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayStorePostgres
import Logging

@main
struct InsertionGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insertion-gateway",
        abstract:
            "Échanges de données de l'insertion RSA : lire, valider, importer, exporter les flux des partenaires.",
        version: "0.1.0",
        subcommands: [
            Validate.self, Import.self, Reprocess.self, Export.self, Flows.self, People.self, Source.self, Alerts.self,
            Notice.self,
            Check.self, Report.self,
            // Issue 5: the scheduled exchanges and their journal.
            Run.self, Serve.self, JournalCommand.self,
            // Issue 6: the HTTP API, its keys, the audit log, retention and the right of access.
            API.self, Keys.self, Audit.self, Purge.self,
        ])

    /// Runs the command. A reader that closes the output early (`| head -1`) ends it normally: SIGPIPE is ignored,
    /// and a write that finds the pipe closed exits 0, on every store.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as POSIXError where error.code == .EPIPE {
            Glibc.exit(0)
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command shares: where the mappings and the store are, how much to say.
struct CommonOptions: ParsableArguments {
    @Option(help: "Dossier des fichiers de mapping (YAML).")
    var mappings: String = ProcessInfo.processInfo.environment["GATEWAY_MAPPINGS"] ?? "Mappings"

    @Flag(help: "Ni progression ni journal d'information sur la sortie d'erreur.")
    var quiet = false

    @Option(help: "Niveau du journal (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String = "info"

    func bootstrapLogging() -> Logger {
        let level = quiet ? Logger.Level.error : (Logger.Level(rawValue: logLevel) ?? .info)
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: "insertion-gateway")
        logger.logLevel = level
        return logger
    }

    func flow(_ id: String) throws -> FlowMapping {
        // That flow's files alone, then all of them to list the flows when it is unknown.
        if let flow = try loadFlows(only: id)[id] { return flow }
        let flows = try allFlows()
        guard let flow = flows[id] else {
            throw ValidationError(
                "Flux « \(id) » inconnu. Flux disponibles : \(flows.keys.sorted().joined(separator: ", ")).")
        }
        return flow
    }

    func allFlows() throws -> [String: FlowMapping] { try loadFlows(only: nil) }

    private func loadFlows(only: String?) throws -> [String: FlowMapping] {
        let flows: [String: FlowMapping]
        do {
            flows = try MappingLoader.loadAll(directory: mappings, only: only)
        } catch let error as MappingError {
            throw GatewayCLIError("Mappings invalides dans \(mappings) :\n" + error.description)
        } catch {
            throw GatewayCLIError("Dossier de mappings illisible : \(mappings) (\(error.localizedDescription))")
        }
        return flows
    }
}

/// Store location shared by the commands that use one.
struct StoreOptions: ParsableArguments {
    @Option(
        help: """
            Chemin de la base SQLite (par défaut data/gateway.sqlite dans le dossier courant), ou adresse \
            PostgreSQL postgres://utilisateur@hôte:port/base (plusieurs passerelles sur une base ; les fichiers \
            restent alors dans GATEWAY_DATA, par défaut data).
            """)
    var store: String = ProcessInfo.processInfo.environment["GATEWAY_STORE"] ?? "data/gateway.sqlite"

    /// The folder of files beside the store (refused, outbox, uploads); for a PostgreSQL store, `GATEWAY_DATA`.
    var dataDirectory: String { Self.dataDirectory(beside: store) }

    /// The folder of files beside the store at `location`: read here, at the edge, with `GATEWAY_DATA`.
    static func dataDirectory(beside location: String) -> String {
        GatewayStore.folder(beside: location, dataFolder: ProcessInfo.processInfo.environment["GATEWAY_DATA"] ?? "data")
    }

    /// Where refused and unreadable files are kept, beside the store.
    var keepDirectory: String { (dataDirectory as NSString).appendingPathComponent("refused") }

    /// Opens the store: the SQLite file, or the PostgreSQL database a `postgres://` address names.
    func open() throws -> GatewayStore { try Self.open(store) }

    /// The store `location` names, opened where the application is assembled: a PostgreSQL database
    /// (`postgres://…`) or a SQLite file (created if missing), migrated.
    static func open(_ location: String) throws -> GatewayStore {
        GatewayStore.isPostgres(location)
            ? GatewayStore(database: try PostgresStoreDatabase(url: location)) : try GatewayStore(path: location)
    }

    /// Whether there is a store to read: a PostgreSQL address, or a SQLite file that exists.
    func exists() -> Bool { GatewayStore.isPostgres(store) || FileManager.default.fileExists(atPath: store) }
}

struct GatewayCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            // Partner values reach the log escaped and bounded: none can forge a line or fill the log.
            return EscapingLogHandler(handler)
        }
    }
}
