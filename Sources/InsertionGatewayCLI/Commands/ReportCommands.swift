import ArgumentParser
import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayPipeline
import GatewayReports
import GatewayStore

/// A report as rows of named cells, written as an aligned table, CSV or JSON.
struct Tabular {
    var columns: [String]
    var rows: [[String]]

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    init(_ report: ReportRows) {
        self.init(columns: report.columns, rows: report.rows)
    }

    /// `decimalComma`: French decimals (`12,5 %`) in CSV, so that a French spreadsheet reads numbers as numbers.
    func write(_ format: Format, decimalComma: Bool = false) throws {
        switch format {
        case .table:
            let widths = columns.indices.map { column in
                ([columns[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
            }
            func line(_ cells: [String]) -> String {
                cells.indices.map { cells[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            Output.line(line(columns))
            Output.line(line(widths.map { String(repeating: "-", count: $0) }))
            for row in rows { Output.line(line(row)) }
        case .csv:
            let writer = CSVWriter(handle: FileHandle.standardOutput, options: CSVWriterOptions(writeBOM: false))
            try writer.write(row: columns)
            for row in rows { try writer.write(row: decimalComma ? row.map(ReportRows.frenchDecimal) : row) }
            try writer.finish()
        case .json:
            let sink = try JSONArraySink(path: nil)
            for row in rows { try sink.write(object: Array(zip(columns, row))) }
            try sink.finish()
        }
    }
}

/// What every report reads: the programmes, the structures and the followed cases.
struct RuleInputs {
    var programmes: ProgrammeCatalogue
    var structures: StructureCatalogue
    var cases: [FollowedCase]

    init(common: CommonOptions, store: StoreOptions) throws {
        do {
            (programmes, structures) = try ProgrammeLoader.load(directory: common.mappings)
        } catch {
            throw GatewayCLIError("Programmes invalides dans \(common.mappings) :\n\(error.description)")
        }
        cases = try store.open().partnerRecords.followedCases()
    }
}

/// The columns and cells of a finding, for every output (defined once in GatewayReports, shared with the API).
enum FindingCells {
    static let columns = ReportRows.findingColumns

    static func row(_ finding: Finding) -> [String] { ReportRows.finding(finding) }
}

/// The CV-deposit report as rows: by programme, structure and référent, with who is missing and why.
enum CVDepositCells {
    static func table(_ report: CVDepositReport) -> Tabular { Tabular(ReportRows.cvDeposit(report)) }
}

/// The indicators per fiche and structure as rows, each rate with its target and whether it is met.
enum IndicatorCells {
    static func table(_ indicators: Indicators) -> Tabular { Tabular(ReportRows.indicators(indicators)) }
}

func percent(_ value: Double?) -> String { ReportRows.percent(value) }

func ficheLabel(_ fiche: Fiche, _ programmes: ProgrammeCatalogue) -> String {
    programmes.programmes[fiche]?.title ?? "fiche \(fiche.rawValue)"
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Vérifie les règles des fiches action : file active, CER, fréquence des contacts, durée, droits et devoirs, échéances."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Seulement cette fiche (1, 4, 5, 9, PER).")
    var programme: String?

    @Option(help: "Seulement cette structure (code).")
    var structure: String?

    @Option(help: "Jour de la vérification (AAAA-MM-JJ), par défaut aujourd'hui.")
    var asOf: String?

    @Option(help: "table, csv ou json.")
    var format: Tabular.Format = .table

    @Flag(help: "CSV : décimales à la française (12,5 %), lues comme des nombres par un tableur français.")
    var decimalComma = false

    func run() throws {
        _ = common.bootstrapLogging()
        let inputs = try RuleInputs(common: common, store: storeOptions)
        let day = try runDay(asOf, option: "--as-of")
        let fiche = try programme.map { code in
            guard let fiche = Fiche(rawValue: code.uppercased()) else {
                throw ValidationError("--programme : 1, 4, 5, 9 ou PER")
            }
            return fiche
        }
        let findings = RuleChecks.findings(
            inputs.cases, programmes: inputs.programmes, structures: inputs.structures, asOf: day
        ).filter { finding in
            (fiche == nil || finding.fiche == fiche) && (structure == nil || finding.operatorCode == structure)
        }
        try Tabular(columns: FindingCells.columns, rows: findings.map(FindingCells.row)).write(
            format, decimalComma: decimalComma)
        if format == .table {
            let counts = Finding.Severity.allCases.reversed().map { severity in
                "\(findings.filter { $0.severity == severity }.count) \(severity.rawValue)"
            }
            Output.line("\(findings.count) constat(s) au \(day.iso) : " + counts.joined(separator: ", "))
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rapports : dépôt des CV, indicateurs des fiches, tableau de bord HTML.",
        subcommands: [CVDeposit.self, IndicatorsReport.self, Dashboard.self, All.self])

    struct CVDeposit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cv-deposit",
            abstract:
                "Dépôt des CV sur Job Connexion des personnes prêtes à l'emploi (fiches 5 et 9) ; code de sortie 1 si un taux est sous l'objectif."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Jour du constat (AAAA-MM-JJ), par défaut aujourd'hui.")
        var asOf: String?

        @Option(help: "Âge maximal d'un CV (ex. « 6 months », « 90 days ») ; par défaut celui des programmes.")
        var maxAge: String?

        @Option(help: "table, csv ou json.")
        var format: Tabular.Format = .table

        @Flag(
            help:
                "Par référent, chaque personne prête à l'emploi sans CV dans Job Connexion : motif, depuis quand, CV sur une autre plateforme."
        )
        var missing = false

        @Flag(help: "CSV : décimales à la française (12,5 %), lues comme des nombres par un tableur français.")
        var decimalComma = false

        func run() throws {
            _ = common.bootstrapLogging()
            let inputs = try RuleInputs(common: common, store: storeOptions)
            let age = try maxAge.map { text in
                guard let span = CalendarSpan(parsing: text) else {
                    throw ValidationError("--max-age : un nombre et une unité (days, weeks, months)")
                }
                return span
            }
            let report = CVDepositReport.compute(
                inputs.cases, programmes: inputs.programmes, asOf: try runDay(asOf, option: "--as-of"), maxAge: age)
            if missing {
                try Tabular(ReportRows.cvMissing(report)).write(format, decimalComma: decimalComma)
            } else {
                try CVDepositCells.table(report).write(format, decimalComma: decimalComma)
            }
            if !report.allComplete {
                if format == .table { Output.line("Objectif de dépôt des CV non atteint.") }
                throw ExitCode(1)
            }
        }
    }

    struct IndicatorsReport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "indicators",
            abstract:
                "Indicateurs par fiche et structure (reprise d'activité, sortie liée à l'emploi) face aux cibles, et ceux du PER de l'Isère."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Début de la période (AAAA-MM-JJ).")
        var from: String

        @Option(help: "Fin de la période (AAAA-MM-JJ).")
        var to: String

        @Option(help: "table, csv ou json ; en CSV, un tableau par fichier (indicateurs.csv, indicateurs-per.csv).")
        var format: Tabular.Format = .table

        @Option(help: "CSV : dossier où écrire les fichiers (par défaut le dossier courant).")
        var outDir: String = "."

        @Flag(help: "CSV : décimales à la française (12,5 %), lues comme des nombres par un tableur français.")
        var decimalComma = false

        func run() throws {
            _ = common.bootstrapLogging()
            let inputs = try RuleInputs(common: common, store: storeOptions)
            let start = try runDay(from, option: "--from")
            let end = try runDay(to, option: "--to")
            guard start <= end else { throw ValidationError("--from doit précéder --to") }
            let indicators = Indicators.compute(
                inputs.cases, programmes: inputs.programmes, structures: inputs.structures, from: start, to: end)
            if format == .csv {
                // One table per file: a spreadsheet opens each as it is.
                try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
                for (stem, table) in [
                    ("indicateurs", ReportRows.indicators(indicators)), ("indicateurs-per", ReportRows.per(indicators)),
                ] {
                    let path = (outDir as NSString).appendingPathComponent(stem + ".csv")
                    do {
                        try ReportFiles.write(table, to: path, decimalComma: decimalComma)
                    } catch {
                        throw GatewayCLIError("Impossible d'écrire \(path) : \(error)")
                    }
                    Output.line(path)
                }
                return
            }
            try IndicatorCells.table(indicators).write(format)
            let per = ReportRows.per(indicators)
            guard !per.rows.isEmpty else { return }
            if format == .table { Output.line("\nParcours emploi renforcé (Isère) :") }
            try Tabular(per).write(format)
        }
    }

    struct Dashboard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dashboard",
            abstract:
                "Tableau de bord HTML autonome (sans réseau ni JavaScript) : programmes face aux cibles, dépôt des CV, entrées et sorties par mois, constats."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Début de la période (AAAA-MM-JJ), par défaut 12 mois avant --as-of.")
        var from: String?

        @Option(help: "Fin de la période et jour des constats (AAAA-MM-JJ), par défaut aujourd'hui.")
        var asOf: String?

        @Option(name: .shortAndLong, help: "Fichier HTML à écrire.")
        var out: String

        func run() throws {
            _ = common.bootstrapLogging()
            let inputs = try RuleInputs(common: common, store: storeOptions)
            let end = try runDay(asOf, option: "--as-of")
            let start = try from.map { try runDay($0, option: "--from") } ?? end.adding(months: -12).adding(days: 1)
            let page = DashboardRenderer.render(
                DashboardBuilder.data(inputs: inputs, from: start, to: end))
            do {
                try page.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw GatewayCLIError("Impossible d'écrire \(out) : \(error.localizedDescription)")
            }
            Output.line("Tableau de bord écrit : \(out)")
        }
    }
}

extension Report {
    /// Every report of a scheduled run from one reading of the store: findings, CV deposit, indicators, dashboard.
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "all",
            abstract:
                "Tous les rapports d'un coup (une seule lecture de la base) : un tableau par fichier : constats.csv, depot-cv.csv, cv-manquants.csv, indicateurs.csv, indicateurs-per.csv, tableau-de-bord.html."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var storeOptions: StoreOptions

        @Option(help: "Début de la période des indicateurs (AAAA-MM-JJ), par défaut 12 mois avant --as-of.")
        var from: String?

        @Option(help: "Fin de la période et jour des constats (AAAA-MM-JJ), par défaut aujourd'hui.")
        var asOf: String?

        @Option(help: "Dossier où écrire les rapports.")
        var outDir: String

        @Flag(help: "Résumé JSON sur la sortie standard.")
        var json = false

        @Flag(help: "CSV : décimales à la française (12,5 %), lues comme des nombres par un tableur français.")
        var decimalComma = false

        func run() throws {
            _ = common.bootstrapLogging()
            let inputs = try RuleInputs(common: common, store: storeOptions)
            let end = try runDay(asOf, option: "--as-of")
            let start = try from.map { try runDay($0, option: "--from") } ?? end.adding(months: -12).adding(days: 1)
            let summary = try ReportFiles.all(
                cases: inputs.cases, programmes: inputs.programmes, structures: inputs.structures, from: start,
                to: end, directory: outDir, decimalComma: decimalComma)
            if json {
                try Output.json(summary)
            } else {
                Output.line(
                    "\(summary.cases) accompagnement(s), \(summary.findings) constat(s), dépôt des CV \(summary.cvDepositComplete ? "complet" : "incomplet") → \(outDir)"
                )
            }
        }
    }
}

/// Fills the dashboard's view model from the rules, the CV report and the indicators (in GatewayReports, shared
/// with the API).
enum DashboardBuilder {
    static func data(inputs: RuleInputs, from: LocalDate, to: LocalDate) -> DashboardData {
        DashboardAssembly.data(
            programmes: inputs.programmes, structures: inputs.structures, cases: inputs.cases, from: from, to: to,
            generatedOn: ParisTime.date(at: Int(Date().timeIntervalSince1970)))
    }
}
