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
            Run.self, Serve.self, JournalCommand.self, Mails.self,
            // Issue 6: the HTTP API, its keys, the audit log, retention and the right of access.
            API.self, Keys.self, Audit.self, Purge.self,
            // Issue 19: the staff's console accounts.
            Users.self,
            Backup.self,
        ])

    /// Runs the command. A reader that closes the output early (`| head -1`) ends it normally: SIGPIPE is ignored,
    /// and a write that finds the pipe closed exits 0, on every store.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        if let message = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data(("Erreur : " + message + "\n").utf8))
            Glibc.exit(ExitCode.validationFailure.rawValue)
        }
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

extension InsertionGateway {
    /// The French message for a first argument that names no command, with the nearest one; nil when it names one
    /// (or is an option).
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let typed = arguments.first, !typed.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(typed) else { return nil }
        let near = Suggestion.nearest(to: typed, in: names).map { " : vouliez-vous dire « \($0) » ?" } ?? "."
        return "commande inconnue « \(typed) »\(near) La liste des commandes : insertion-gateway --help."
    }
}

/// Options every command shares: where the mappings and the store are, how much to say.
struct CommonOptions: ParsableArguments {
    @Option(help: "Dossier des fichiers de mapping (YAML).")
    var mappings: String = ProcessInfo.processInfo.environment["GATEWAY_MAPPINGS"] ?? "Mappings"

    @Flag(help: "Ni progression ni journal d'information sur la sortie d'erreur.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Journal d'information (niveau info) sur la sortie d'erreur.")
    var verbose = false

    @Option(
        help:
            "Niveau du journal (trace, debug, info, notice, warning, error, critical) ; par défaut warning, info avec --verbose."
    )
    var logLevel: Logger.Level?

    @Option(
        help:
            "Forme du journal : text (une ligne lisible par évènement) ou json (un objet JSON par ligne, pour un service)."
    )
    var logFormat: LogFormat = .text

    func bootstrapLogging() -> Logger {
        let level = quiet ? Logger.Level.error : (logLevel ?? (verbose ? .info : .warning))
        LoggingBootstrap.once(level: level, format: logFormat)
        var logger = Logger(label: "insertion-gateway")
        logger.logLevel = level
        return logger
    }

    func flow(_ id: String) throws -> FlowMapping {
        // That flow's files alone, then all of them to list the flows when it is unknown.
        if let flow = try loadFlows(only: id)[id] { return flow }
        let flows = try allFlows()
        guard let flow = flows[id] else {
            let hint = Suggestion.nearest(to: id, in: Array(flows.keys)).map { " Vouliez-vous dire « \($0) » ?" } ?? ""
            throw ValidationError(
                "Flux « \(id) » inconnu.\(hint) Flux disponibles : \(flows.keys.sorted().joined(separator: ", ")).")
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
        if GatewayStore.isPostgres(location) { return GatewayStore(database: try PostgresStoreDatabase(url: location)) }
        try checkWritable(sqlite: location)
        return try GatewayStore(path: location)
    }

    /// Says in French what SQLite would only call « error 14 » or « error 8 »: a folder that cannot be made or
    /// written, a base file that is read-only.
    static func checkWritable(sqlite path: String) throws {
        let files = FileManager.default
        let folder =
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if files.fileExists(atPath: path, isDirectory: &isFolder) {
            if isFolder.boolValue {
                throw GatewayCLIError(
                    "« \(path) » est un dossier : --store attend le chemin d'un fichier SQLite (ex. data/gateway.sqlite)."
                )
            }
            guard files.isWritableFile(atPath: path) else {
                throw GatewayCLIError(
                    "La base « \(path) » est en lecture seule : donnez-lui le droit d'écriture (chmod u+w) ou choisissez une autre base avec --store."
                )
            }
        }
        if !files.fileExists(atPath: folder) {
            do { try files.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw GatewayCLIError(
                    "Impossible de créer le dossier « \(folder) » de la base : vérifiez le chemin et les droits, ou choisissez une autre base avec --store."
                )
            }
        }
        guard files.isWritableFile(atPath: folder) else {
            throw GatewayCLIError(
                "Le dossier « \(folder) » n'est pas accessible en écriture : la base SQLite y écrit son journal. Donnez-lui le droit d'écriture ou choisissez une autre base avec --store."
            )
        }
    }

    /// Whether there is a store to read: a PostgreSQL address, or a SQLite file that exists.
    func exists() -> Bool { GatewayStore.isPostgres(store) || FileManager.default.fileExists(atPath: store) }
}

struct GatewayCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum LoggingBootstrap {
    // Set once by the command's own thread before any other thread starts: nothing reads it concurrently.
    nonisolated(unsafe) private static var done = false

    /// Logs go to stderr, stamped in the département's time (Europe/Paris) with its offset, unless `TZ` says
    /// otherwise.
    static func once(level: Logger.Level, format: LogFormat = .text, timeZone: String = "Europe/Paris") {
        guard !done else { return }
        done = true
        if ProcessInfo.processInfo.environment["TZ"] == nil {
            setenv("TZ", timeZone, 1)
            tzset()
        }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            handler = ProgressClearingLogHandler(handler)
            // Partner values reach the log escaped and bounded: none can forge a line or fill the log.
            return EscapingLogHandler(handler)
        }
    }
}
