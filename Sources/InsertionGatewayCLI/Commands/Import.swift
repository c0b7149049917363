import ArgumentParser
import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Importe un fichier dans la base, en entier ou pas du tout ; un fichier déjà reçu ne change rien.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Identifiant du flux (caf-beneficiaires…).")
    var flow: String?

    @Option(help: "Partenaire émetteur (par défaut celui du mapping).")
    var partner: String?

    @Option(help: "Schéma XSD à vérifier pendant la lecture.")
    var schema: String?

    @Flag(help: "Rapport JSON sur la sortie standard.")
    var json = false

    @Option(
        help:
            "Reprend le fichier de ce numéro, refusé en entier, depuis sa copie conservée, avec les mappings actuels (sans FICHIER ni --flow)."
    )
    var retry: Int64?

    @Argument(help: "Le fichier à importer.")
    var file: String?

    func validate() throws {
        if retry == nil && (file == nil || flow == nil) {
            throw ValidationError(
                "--flow et le fichier sont obligatoires (ou --retry N pour reprendre un fichier refusé).")
        }
        if retry != nil && file != nil {
            throw ValidationError("--retry reprend la copie conservée du fichier : ne pas donner de fichier.")
        }
    }

    func run() throws {
        let logger = common.bootstrapLogging()
        if let retry {
            let store = try storeOptions.open()
            let replayer = Replayer(flows: try common.allFlows(), store: store, logger: logger)
            let report: ImportReport
            do {
                report = try replayer.retry(fileID: retry, actor: "cli")
            } catch let error as ReplayError {
                Output.error(error.description)
                throw ExitCode(2)
            }
            try show(report, entity: (try? common.flow(report.flow))?.record.entity.name ?? "")
            throw ExitCode(report.exitCode)
        }
        guard let flow, let file else { throw ExitCode(2) }
        let mapping = try common.flow(flow)
        guard FileManager.default.isReadableFile(atPath: file) else {
            Output.error("Fichier introuvable ou illisible : \(file)")
            throw ExitCode(2)
        }
        let store = try storeOptions.open()
        var pipeline = FilePipeline(flow: mapping, logger: logger)
        let directory = common.mappings
        pipeline.alternatives = { (try? MappingLoader.loadAll(directory: directory)).map { Array($0.values) } ?? [] }
        let progress = ProgressDisplay(enabled: !common.quiet, after: "enregistrement en base")
        pipeline.progress = progress.update
        let report = try pipeline.importFile(
            path: file, ledger: store.ledger, partner: partner, keepDirectory: storeOptions.keepDirectory,
            schemaPath: schema)
        progress.finish()
        try show(report, entity: mapping.record.entity.name)
        throw ExitCode(report.exitCode)
    }

    func show(_ report: ImportReport, entity: String) throws {
        if json {
            try Output.json(report)
        } else {
            switch report.outcome {
            case .alreadyReceived:
                Output.line(
                    "\(report.file) : déjà reçu (fichier n° \(report.fileID ?? 0), \(report.previousOutcome?.rawValue ?? "?")) — rien n'a changé."
                )
            case .applied:
                let changes = entity == "household" ? ", \(report.statusChanges) changement(s) de situation" : ""
                Output.line(
                    "\(report.file) : \(report.records) lu(s), \(report.accepted) accepté(s), \(report.duplicates) doublon(s), \(report.quarantined) en quarantaine"
                        + changes + (report.unmatched > 0 ? ", \(report.unmatched) sans personne connue" : "")
                        + (report.waiting > 0 ? ", dont \(report.waiting) en attente de leur proposition" : "")
                        + (report.counts.anomalies > 0 ? ", \(report.counts.anomalies) anomalie(s)." : ".")
                )
            case .rejected, .unreadable:
                Output.line(
                    "\(report.file) : \(report.outcome == .unreadable ? "illisible" : "refusé") — rien n'a été appliqué"
                        + (report.keptPath.map { " ; fichier conservé dans \($0)" } ?? "") + ".")
            }
            Output.issues(report.errors, notShown: report.errorsNotShown)
            Output.anomalies(report.anomalies, notShown: report.counts.anomalies - report.anomalies.count)
        }
    }
}
