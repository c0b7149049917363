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

    /// The rule findings, the CV deposit, the indicators over `from`…`to` and the dashboard, in `directory`:
    /// `constats<suffix>.csv`, `depot-cv<suffix>.csv`, `indicateurs<suffix>.csv`, `tableau-de-bord<suffix>.html`.
    public static func all(
        cases: [FollowedCase], programmes: ProgrammeCatalogue, structures: StructureCatalogue, from: LocalDate,
        to: LocalDate, directory: String, suffix: String = ""
    ) throws -> Summary {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func path(_ stem: String, _ ext: String) -> String {
            (directory as NSString).appendingPathComponent(stem + suffix + "." + ext)
        }
        let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: to)
        try write(ReportRows.findings(findings), to: path("constats", "csv"))
        let cv = CVDepositReport.compute(cases, programmes: programmes, asOf: to)
        try write(ReportRows.cvDeposit(cv), to: path("depot-cv", "csv"))
        let indicators = Indicators.compute(cases, programmes: programmes, from: from, to: to)
        try write(ReportRows.indicators(indicators), to: path("indicateurs", "csv"))
        let page = DashboardRenderer.render(
            DashboardAssembly.data(
                programmes: programmes, structures: structures, cases: cases, from: from, to: to,
                indicators: indicators, cv: cv, findings: findings))
        try page.write(toFile: path("tableau-de-bord", "html"), atomically: true, encoding: .utf8)
        return Summary(
            cases: cases.count, findings: findings.count, cvDepositComplete: cv.allComplete,
            files: [
                path("constats", "csv"), path("depot-cv", "csv"), path("indicateurs", "csv"),
                path("tableau-de-bord", "html"),
            ])
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

    static func write(_ report: ReportRows, to path: String) throws {
        let writer = try CSVWriter(path: path)
        try writer.write(row: report.columns)
        for row in report.rows { try writer.write(row: row) }
        try writer.finish()
    }
}
