import ArgumentParser
import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Valide un fichier sans rien enregistrer (0 : tout est valide, 1 : des rejets, 2 : illisible).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Identifiant du flux (caf-beneficiaires…).")
    var flow: String

    @Option(help: "Schéma XSD à vérifier pendant la lecture.")
    var schema: String?

    @Flag(help: "Rapport JSON sur la sortie standard.")
    var json = false

    @Argument(help: "Le fichier à valider.")
    var file: String

    func run() throws {
        let logger = common.bootstrapLogging()
        let mapping = try common.flow(flow)
        var pipeline = FilePipeline(flow: mapping, logger: logger)
        let directory = common.mappings
        pipeline.alternatives = { (try? MappingLoader.loadAll(directory: directory)).map { Array($0.values) } ?? [] }
        let progress = ProgressDisplay(enabled: !common.quiet)
        pipeline.progress = progress.update
        // The screen's threads: configuration is read here, at the edge, never inside the pipeline.
        pipeline.screenThreads = ProcessInfo.processInfo.environment["GATEWAY_SCREEN_THREADS"].flatMap { Int($0) }
        let report = pipeline.validate(path: file, schemaPath: schema)
        progress.finish()
        if json {
            try Output.json(ValidationJSON(report))
        } else {
            Output.line(
                "\(report.file) : \(report.records) enregistrement(s), \(report.accepted) valide(s), \(report.rejected) rejeté(s)"
                    + (report.duplicates > 0 ? ", \(report.duplicates) doublon(s)" : "")
                    + (report.warnings.isEmpty
                        ? "" : ", \(report.warnings.count + report.warningsNotShown) anomalie(s)")
                    + (report.readable ? "" : " — fichier illisible ou refusé"))
            Output.issues(report.errors, notShown: report.errorsNotShown)
            Output.anomalies(report.warnings, notShown: report.warningsNotShown)
        }
        throw ExitCode(report.exitCode)
    }
}

/// The `--json` contract: records, accepted, rejected, errors[{type, field, line, message}] (plus details).
struct ValidationJSON: Encodable {
    var file: String
    var flow: String
    var records: Int
    var accepted: Int
    var rejected: Int
    var duplicates: Int
    var readable: Bool
    var errors: [ReportedIssue]
    /// Anomalies (plausibility checks set to warn) and file-level warnings: the records stay valid.
    var warnings: [ReportedIssue]
    var errorsNotShown: Int
    var warningsNotShown: Int

    init(_ report: ValidationReport) {
        file = report.file
        flow = report.flow
        records = report.records
        accepted = report.accepted
        rejected = report.rejected
        duplicates = report.duplicates
        readable = report.readable
        errors = report.errors
        warnings = report.warnings
        errorsNotShown = report.errorsNotShown
        warningsNotShown = report.warningsNotShown
    }
}
