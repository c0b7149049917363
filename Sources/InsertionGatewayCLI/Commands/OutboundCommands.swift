import ArgumentParser
import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore

/// Where emitted files go, beside the store unless told otherwise.
struct OutboxOptions: ParsableArguments {
    @Option(help: "Dossier de sortie (par défaut data/outbox à côté de la base).")
    var out: String?

    func directory(store: StoreOptions) -> String {
        out ?? (store.dataDirectory as NSString).appendingPathComponent("outbox")
    }
}

/// The day the command runs for: the date given with `option` (`--date`, `--as-of`…) for reproducible runs, else
/// today in Paris. A date in another form is refused with the form to write, and the date itself when it can be
/// read (`05/12/2026` → `2026-12-05`).
func runDay(_ given: String?, option: String) throws -> LocalDate {
    guard let given else { return ParisTime.date(at: Int(Date().timeIntervalSince1970)) }
    if let day = LocalDate(iso: given) { return day }
    let meant = LocalDate.Pattern.allCases.lazy.compactMap { LocalDate.parse(given, pattern: $0) }.first
    throw ValidationError(
        "\(option) attend une date AAAA-MM-JJ, pas « \(given) »"
            + (meant.map { " : écrire \(option) \($0.iso)." } ?? " (ex. \(option) 2026-01-31)."))
}

struct Source: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract:
            "Propose des candidats pour une offre et les écrit pour l'équipe entreprises du territoire (67 : Développeurs Emploi, 68 : Conseillers Relais Entreprises)."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var outbox: OutboxOptions

    @Option(help: "Format du fichier : csv, json ou xml.")
    var format: String = "csv"

    @Option(help: "Nombre maximal de candidats.")
    var limit: Int = 20

    @Option(help: "Jour de la sélection (AAAA-MM-JJ), par défaut aujourd'hui.")
    var date: String?

    @Flag(help: "Résumé JSON sur la sortie standard.")
    var json = false

    @Argument(help: "Identifiant de l'offre.")
    var postID: String

    func run() throws {
        _ = common.bootstrapLogging()
        guard let fileFormat = FileFormat(rawValue: format) else {
            throw ValidationError("--format : csv, json ou xml")
        }
        let outbound = Outbound(flows: try common.allFlows(), store: try storeOptions.open())
        do {
            let written = try outbound.source(
                postID: postID, format: fileFormat, directory: outbox.directory(store: storeOptions),
                on: try runDay(date, option: "--date"), limit: limit)
            if json {
                try Output.json(written)
            } else {
                Output.line(
                    "\(written.records) candidat(s) pour l'offre \(postID) → \(written.partner) : \(written.path)")
            }
        } catch let error as Outbound.OutboundError {
            Output.error(error.description)
            throw ExitCode(1)
        }
    }
}

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract:
            "Écrit, pour chaque structure, les alertes de changement de situation des personnes qu'elle accompagne.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var outbox: OutboxOptions

    @Option(help: "Seulement les changements des fichiers reçus après ce numéro de fichier.")
    var afterFile: Int64?

    @Option(help: "Jour de l'envoi (AAAA-MM-JJ), par défaut aujourd'hui.")
    var date: String?

    @Flag(help: "Résumé JSON sur la sortie standard.")
    var json = false

    func run() throws {
        _ = common.bootstrapLogging()
        let outbound = Outbound(flows: try common.allFlows(), store: try storeOptions.open())
        let written = try outbound.alerts(
            directory: outbox.directory(store: storeOptions), afterFileID: afterFile,
            on: try runDay(date, option: "--date"))
        if json {
            try Output.json(written)
        } else {
            if written.isEmpty { Output.line("Aucune alerte.") }
            for file in written { Output.line("\(file.partner) : \(file.records) alerte(s) → \(file.path)") }
        }
    }
}

struct Notice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice",
        abstract: "Écrit l'avis de rejet d'un fichier reçu, pour le partenaire qui l'a envoyé.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var outbox: OutboxOptions

    @Flag(help: "Résumé JSON sur la sortie standard.")
    var json = false

    @Argument(help: "Numéro du fichier dans le registre (voir export files).")
    var fileID: Int64

    func run() throws {
        _ = common.bootstrapLogging()
        let outbound = Outbound(flows: try common.allFlows(), store: try storeOptions.open())
        do {
            let written = try outbound.notice(fileID: fileID, directory: outbox.directory(store: storeOptions))
            if json {
                try Output.json(written)
            } else {
                Output.line("\(written.records) erreur(s) pour \(written.partner) → \(written.path)")
            }
        } catch let error as Outbound.OutboundError {
            Output.error(error.description)
            throw ExitCode(1)
        }
    }
}

struct People: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "people",
        abstract: "Les personnes vues par les partenaires.", subcommands: [Show.self, Export.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract:
                "Une personne à travers les partenaires : chaque fait avec le partenaire et le fichier d'où il vient.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Flag(help: "Sortie JSON.")
        var json = false

        @Argument(
            help: "Numéro de personne, NIR (13 ou 15 caractères), identifiant France Travail, ou ORGANISME:matricule.")
        var id: String

        func run() throws {
            _ = common.bootstrapLogging()
            let store = try storeOptions.open()
            let found = try store.people.findPeople(id)
            guard !found.isEmpty else {
                Output.error("Aucune personne connue sous cet identifiant.")
                throw ExitCode(1)
            }
            let views = try found.compactMap { try store.people.person($0) }
            if json {
                try Output.json(views)
                return
            }
            for view in views {
                Output.line(
                    "Personne n° \(view.personID) — \(view.firstName) \(view.surname), naissance \(view.birthDate ?? "?"), NIR \(view.maskedNIR ?? "inconnu")"
                )
                for fact in view.facts {
                    let detail = fact.detail.keys.sorted().map { "\($0)=\(fact.detail[$0]!)" }.joined(separator: " ")
                    Output.line(
                        "  [\(fact.partner) · \(fact.file) (n° \(fact.fileID))] \(fact.kind)"
                            + (fact.matchedBy.map { " (rapproché par \($0))" } ?? "") + " : " + detail)
                }
                for anomaly in view.anomalies {
                    Output.line(
                        "  anomalie [\(anomaly.check)] \(anomaly.file) (n° \(anomaly.fileID))"
                            + (anomaly.issue.line.map { ", ligne \($0)" } ?? "") + " : \(anomaly.issue.message)")
                }
            }
        }
    }
}
