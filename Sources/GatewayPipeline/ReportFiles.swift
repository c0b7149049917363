import Foundation
import GatewayCore
import GatewayFormats
import GatewayReports

/// The programmes' reports as files, from one reading of the store: what `report all` writes and what the
/// `reports` and `cv-deposit-check` exchanges send.
public enum ReportFiles {
    /// What `all` wrote.
    public struct Summary: Sendable, Encodable {
        public var cases: Int
        public var findings: Int
        public var cvDepositComplete: Bool
        public var files: [String]
    }

    /// The rule findings, the CV deposit, the indicators over `from`…`to` and the dashboard, in `directory`, one
    /// table per file: `constats<suffix>.csv`, `depot-cv<suffix>.csv`, `cv-manquants<suffix>.csv`,
    /// `indicateurs<suffix>.csv`, `indicateurs-per<suffix>.csv`, `tableau-de-bord<suffix>.html`. `decimalComma`:
    /// French decimals in the CSV files. `generatedOn`: the day the dashboard is produced (« édité le »).
    public static func all(
        cases: [FollowedCase], programmes: ProgrammeCatalogue, structures: StructureCatalogue, from: LocalDate,
        to: LocalDate, directory: String, suffix: String = "", decimalComma: Bool = false,
        generatedOn: LocalDate = ParisTime.date(at: Int(Date().timeIntervalSince1970))
    ) throws -> Summary {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ stem: String, _ ext: String) -> String {
            (directory as NSString).appendingPathComponent(stem + suffix + "." + ext)
        }
        let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: to)
        let cv = CVDepositReport.compute(cases, programmes: programmes, asOf: to)
        let indicators = Indicators.compute(cases, programmes: programmes, structures: structures, from: from, to: to)
        var files: [String] = []
        for (stem, table) in [
            ("constats", ReportRows.findings(findings)), ("depot-cv", ReportRows.cvDeposit(cv)),
            ("cv-manquants", ReportRows.cvMissing(cv)), ("indicateurs", ReportRows.indicators(indicators)),
            ("indicateurs-per", ReportRows.per(indicators)),
        ] {
            try write(table, to: path(stem, "csv"), decimalComma: decimalComma)
            files.append(path(stem, "csv"))
        }
        let page = DashboardRenderer.render(
            DashboardAssembly.data(
                programmes: programmes, structures: structures, cases: cases, from: from, to: to,
                indicators: indicators, cv: cv, findings: findings, generatedOn: generatedOn))
        try page.write(toFile: path("tableau-de-bord", "html"), atomically: true, encoding: .utf8)
        files.append(path("tableau-de-bord", "html"))
        return Summary(
            cases: cases.count, findings: findings.count, cvDepositComplete: cv.allComplete, files: files)
    }

    /// The CV-deposit report on `day` in `path`; returned so that a rate under its target can be told.
    public static func cvDeposit(
        cases: [FollowedCase], programmes: ProgrammeCatalogue, on day: LocalDate, path: String
    ) throws -> CVDepositReport {
        let report = CVDepositReport.compute(cases, programmes: programmes, asOf: day)
        try write(ReportRows.cvDeposit(report), to: path)
        return report
    }

    /// The programmes under their CV-deposit target, for a message that names no one: « fiche 5 : 3 / 4 (75,0 %,
    /// cible 100 %) ».
    public static func shortfalls(_ report: CVDepositReport) -> [String] {
        report.byProgramme.filter { !$0.isComplete }.map { line in
            "fiche \(line.fiche.rawValue) : \(line.deposited) / \(line.jobReady) (\(ReportRows.percent(line.rate.map { $0 * 100 })), cible \(ReportRows.percent(line.requiredPercent)))"
        }
    }

    /// One table in one CSV file (`;`, UTF-8 with BOM), French decimals when asked.
    public static func write(_ report: ReportRows, to path: String, decimalComma: Bool = false) throws {
        let report = decimalComma ? report.decimalComma() : report
        let writer = try CSVWriter(path: path)
        try writer.write(row: report.columns)
        for row in report.rows { try writer.write(row: row) }
        try writer.finish()
    }
}
