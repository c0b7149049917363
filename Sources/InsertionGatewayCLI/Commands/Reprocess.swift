import ArgumentParser
import Foundation
import GatewayPipeline
import GatewayStore

struct Reprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprocess",
        abstract:
            "Reprend les enregistrements en quarantaine avec les mappings et règles actuels : ceux qui passent sont appliqués, les autres gardent leurs nouvelles erreurs.",
        discussion: """
            Sans filtre, toute la quarantaine ouverte (et les retours en attente de leur proposition) est reprise. \
            Relancer une reprise ne change rien. Chaque reprise est inscrite au journal (échange « reprocess ») et \
            au registre d'audit.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Numéro du fichier reçu.")
    var file: Int64?

    @Option(help: "Identifiant du flux.")
    var flow: String?

    @Option(help: "Type d'erreur (constraint-error…) ou contrôle (household-without-applicant…).")
    var type: String?

    @Option(help: "Numéro de l'enregistrement en quarantaine (colonne id de l'API, quarantaine).")
    var record: Int64?

    @Option(
        help: ArgumentHelp(
            "Clôt à la main l'enregistrement en quarantaine de ce numéro, sans le reprendre (avec --reason).",
            valueName: "record"))
    var resolve: Int64?

    @Option(help: "Pourquoi l'enregistrement est clos à la main (gardé avec lui).")
    var reason: String?

    @Flag(help: "Rapport JSON sur la sortie standard.")
    var json = false

    func run() throws {
        let logger = common.bootstrapLogging()
        if let resolve {
            let replayer = Replayer(flows: [:], store: try storeOptions.open(), logger: logger)
            do {
                try replayer.resolve(id: resolve, reason: reason ?? "", actor: "cli")
            } catch let error as ReplayError {
                Output.error(error.description)
                throw ExitCode(1)
            }
            Output.line("Enregistrement n° \(resolve) clos à la main.")
            return
        }
        let replayer = Replayer(flows: try common.allFlows(), store: try storeOptions.open(), logger: logger)
        let report = try replayer.reprocess(
            QuarantineFilter(fileID: file, flow: flow, type: type, record: record), actor: "cli")
        if json {
            try Output.json(report)
        } else {
            Output.line(
                "Reprise (\(report.filter)) : \(report.records) enregistrement(s), \(report.applied) appliqué(s), "
                    + "\(report.quarantined) toujours en quarantaine, \(report.waiting) en attente, "
                    + "\(report.statusChanges) changement(s) de situation — journal n° \(report.runID).")
            Output.issues(report.errors, notShown: 0)
        }
        throw ExitCode(report.exitCode)
    }
}
