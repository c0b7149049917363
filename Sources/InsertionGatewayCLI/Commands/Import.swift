import ArgumentParser
import Foundation
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
    var flow: String

    @Option(help: "Partenaire émetteur (par défaut celui du mapping).")
    var partner: String?

    @Option(help: "Schéma XSD à vérifier pendant la lecture.")
    var schema: String?

    @Flag(help: "Rapport JSON sur la sortie standard.")
    var json = false

    @Argument(help: "Le fichier à importer.")
    var file: String

    func run() throws {
        let logger = common.bootstrapLogging()
        let mapping = try common.flow(flow)
        guard FileManager.default.isReadableFile(atPath: file) else {
            Output.error("Fichier introuvable ou illisible : \(file)")
            throw ExitCode(2)
        }
        let store = try storeOptions.open()
        var pipeline = FilePipeline(flow: mapping, logger: logger)
        let directory = common.mappings
        pipeline.alternatives = { (try? MappingLoader.loadAll(directory: directory)).map { Array($0.values) } ?? [] }
        let progress = ProgressDisplay(enabled: !common.quiet)
        pipeline.progress = progress.update
        let report = try pipeline.importFile(
            path: file, store: store, partner: partner, keepDirectory: storeOptions.keepDirectory, schemaPath: schema)
        progress.finish()
        if json {
            try Output.json(ImportJSON(report))
        } else {
            switch report.outcome {
            case "already-received":
                Output.line(
                    "\(report.file) : déjà reçu (fichier n° \(report.fileID ?? 0), \(report.previousOutcome ?? "?")) — rien n'a changé."
                )
            case "applied":
                let changes =
                    mapping.record.entity.name == "household"
                    ? ", \(report.statusChanges) changement(s) de situation" : ""
                Output.line(
                    "\(report.file) : \(report.records) lu(s), \(report.accepted) accepté(s), \(report.duplicates) doublon(s), \(report.quarantined) en quarantaine"
                        + changes + (report.unmatched > 0 ? ", \(report.unmatched) sans personne connue" : "")
                        + (report.warnings > 0 ? ", \(report.warnings) anomalie(s)." : ".")
                )
            default:
                Output.line(
                    "\(report.file) : \(report.outcome == "unreadable" ? "illisible" : "refusé") — rien n'a été appliqué"
                        + (report.keptPath.map { " ; fichier conservé dans \($0)" } ?? "") + ".")
            }
            Output.issues(report.errors, notShown: report.errorsNotShown)
            Output.anomalies(report.anomalies, notShown: report.warnings - report.anomalies.count)
        }
        throw ExitCode(report.exitCode)
    }
}

/// The `--json` contract: file, sha256, records, accepted, duplicates, quarantined, statusChanges (plus details).
struct ImportJSON: Encodable {
    var file: String
    var sha256: String
    var records: Int
    var accepted: Int
    var duplicates: Int
    var quarantined: Int
    var statusChanges: Int
    /// Partner records kept but matched to no known person.
    var unmatched: Int
    /// Anomalies stored with the file (plausibility checks set to warn); listed in `anomalies`.
    var warnings: Int
    var anomalies: [ReportedIssue]
    var outcome: String
    var alreadyReceived: Bool
    var previousOutcome: String?
    var fileID: Int64?
    var keptPath: String?
    var errors: [ReportedIssue]
    var errorsNotShown: Int

    init(_ report: ImportReport) {
        file = report.file
        sha256 = report.sha256
        records = report.records
        accepted = report.accepted
        duplicates = report.duplicates
        quarantined = report.quarantined
        statusChanges = report.statusChanges
        unmatched = report.unmatched
        warnings = report.warnings
        anomalies = report.anomalies
        outcome = report.outcome
        alreadyReceived = report.alreadyReceived
        previousOutcome = report.previousOutcome
        fileID = report.fileID
        keptPath = report.keptPath
        errors = report.errors
        errorsNotShown = report.errorsNotShown
    }
}
