import Foundation
import GatewayCore

/// A report as named columns and rows of text cells: what the CLI prints (table, CSV, JSON) and the API sends.
public struct ReportRows: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The same rows with French decimals: every cell that is a decimal number (`12.5`, `12.5 %`, `-0.25`) gets a
    /// comma (`12,5`), so that a French spreadsheet reads it as a number. Other cells are left as they are.
    public func decimalComma() -> ReportRows {
        ReportRows(columns: columns, rows: rows.map { $0.map(Self.frenchDecimal) })
    }

    /// `12.5` → `12,5`, `7.0 %` → `7,0 %`; anything else unchanged.
    public static func frenchDecimal(_ cell: String) -> String {
        var number = Substring(cell)
        if number.hasSuffix(" %") { number = number.dropLast(2) }
        if number.hasPrefix("-") { number = number.dropFirst() }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return cell }
        return cell.replacingOccurrences(of: ".", with: ",")
    }

    /// The rows as objects keyed by column, for JSON.
    public var objects: [[String: String]] {
        rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns, row)) }
    }

    /// The programme rule findings, one row each; the person named by a masked key only.
    public static func findings(_ findings: [Finding]) -> ReportRows {
        ReportRows(columns: findingColumns, rows: findings.map(finding))
    }

    public static let findingColumns = [
        "severite", "regle", "structure", "referent", "fiche", "accompagnement", "personne", "echeance", "depuis",
        "message",
    ]

    public static func finding(_ finding: Finding) -> [String] {
        [
            finding.severity.rawValue, finding.rule.rawValue, finding.operatorCode, finding.referent ?? "",
            finding.fiche?.rawValue ?? "", finding.accompanimentID ?? "", finding.personKey ?? "",
            finding.due?.iso ?? "", finding.since?.iso ?? "", finding.message,
        ]
    }

    /// The CV-deposit report by programme, structure and référent, with who is missing (masked) and why.
    public static func cvDeposit(_ report: CVDepositReport) -> ReportRows {
        var rows: [[String]] = []
        for (level, lines) in [
            ("programme", report.byProgramme), ("structure", report.byStructure), ("referent", report.byReferent),
        ] {
            for line in lines {
                rows.append([
                    level, line.fiche.rawValue, line.operatorCode ?? "", line.referent ?? "", String(line.jobReady),
                    String(line.deposited), percent(line.rate.map { $0 * 100 }),
                    String(format: "%.0f %%", line.requiredPercent), String(line.depositedElsewhere),
                    line.missing.map { "\($0.personKey) [\($0.accompanimentID), \($0.reason.rawValue)]" }
                        .joined(separator: " ; "),
                ])
            }
        }
        return ReportRows(
            columns: [
                "niveau", "fiche", "structure", "referent", "prets_emploi", "cv_deposes", "taux", "objectif",
                "cv_ailleurs_seulement", "manquants",
            ], rows: rows)
    }

    /// Per référent, each job-ready person without a CV that counts (Job Connexion): why, since when, and the CVs
    /// on other platforms; the person named by a masked key only.
    public static func cvMissing(_ report: CVDepositReport) -> ReportRows {
        var rows: [[String]] = []
        for line in report.byReferent {
            for missing in line.missing {
                rows.append([
                    line.fiche.rawValue, line.operatorCode ?? "", line.referent ?? "", missing.accompanimentID,
                    missing.personKey, missing.reason.rawValue, missing.since?.iso ?? "",
                    missing.elsewhere.map { other in
                        other.platform + (other.latest.map { " (\($0.iso))" } ?? "")
                            + (other.archived ? " archivé" : "")
                    }.joined(separator: ", "),
                ])
            }
        }
        return ReportRows(
            columns: [
                "fiche", "structure", "referent", "accompagnement", "personne", "motif", "depuis", "cv_ailleurs",
            ],
            rows: rows)
    }

    /// The indicators per fiche and structure, each rate with its target and whether it is met.
    public static func indicators(_ indicators: Indicators) -> ReportRows {
        func rate(_ rate: Indicators.Rate) -> [String] {
            [
                "\(rate.numerator)/\(rate.denominator)", percent(rate.percent),
                rate.targetPercent.map { String(format: "%.0f %%", $0) } ?? "",
                rate.meetsTarget.map { $0 ? "oui" : "non" } ?? "",
            ]
        }
        return ReportRows(
            columns: [
                "fiche", "structure", "accompagnes", "termines", "reprise", "taux_reprise", "cible_reprise",
                "reprise_atteinte", "sortie_emploi", "taux_sortie_emploi", "cible_sortie_emploi", "sortie_atteinte",
            ],
            rows: (indicators.byFiche + indicators.byFicheAndStructure).map { result in
                [
                    result.fiche.rawValue, result.operatorCode ?? "toutes", String(result.accompanied),
                    String(result.ended),
                ]
                    + rate(result.repriseActivite) + rate(result.sortieEmploi)
            })
    }

    /// Isère's PER indicators, in total then per structure (no rows when no PER accompaniment is read).
    public static func per(_ indicators: Indicators) -> ReportRows {
        let per = (indicators.perTotal.map { [$0] } ?? []) + indicators.perByStructure
        return ReportRows(
            columns: [
                "structure", "accompagnes", "entrees", "avec_cer", "taux_cer", "actions", "actions_employeur",
                "actions_par_personne", "actions_collectives", "participations_collectives", "termines",
                "duree_moyenne_jours", "sorties", "sorties_par_type", "reorientations",
            ],
            rows: per.map { result in
                [
                    result.operatorCode ?? "toutes", String(result.accompanied), String(result.newEntries),
                    String(result.withCER), percent(result.cerRate.percent), String(result.actions),
                    String(result.employerActions),
                    result.actionsPerPerson.map { String(format: "%.1f", $0) } ?? "—",
                    String(result.collectiveSessions), String(result.collectiveParticipations),
                    String(result.ended),
                    result.meanDurationDays.map { String(format: "%.0f", $0) } ?? "—", String(result.exits),
                    result.exitsByType.sorted { $0.key.rawValue < $1.key.rawValue }
                        .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "),
                    String(result.reorientations),
                ]
            })
    }

    /// A percentage with one decimal, or a dash when there is nothing to divide.
    public static func percent(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.1f %%", value)
    }
}

/// Fills the dashboard's view model from the rules, the CV report and the indicators.
public enum DashboardAssembly {
    /// Computes the indicators, the CV deposit and the findings, then the view model.
    /// `generatedOn`: the day the page is produced (« édité le »), not the end of the period.
    public static func data(
        programmes: ProgrammeCatalogue, structures: StructureCatalogue, cases: [FollowedCase], from: LocalDate,
        to: LocalDate, generatedOn: LocalDate
    ) -> DashboardData {
        data(
            programmes: programmes, structures: structures, cases: cases, from: from, to: to,
            indicators: Indicators.compute(cases, programmes: programmes, structures: structures, from: from, to: to),
            cv: CVDepositReport.compute(cases, programmes: programmes, asOf: to),
            findings: RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: to),
            generatedOn: generatedOn)
    }

    public static func data(
        programmes: ProgrammeCatalogue, structures: StructureCatalogue, cases: [FollowedCase], from: LocalDate,
        to: LocalDate, indicators: Indicators, cv: CVDepositReport, findings: [Finding], generatedOn: LocalDate
    ) -> DashboardData {
        func ficheLabel(_ fiche: Fiche) -> String { programmes.programmes[fiche]?.title ?? "fiche \(fiche.rawValue)" }
        let programmeRows = (indicators.byFiche + indicators.byFicheAndStructure).map { result in
            ProgrammeRow(
                ficheCode: result.fiche.rawValue, label: ficheLabel(result.fiche),
                structure: result.operatorCode.map { structures.structures[$0]?.name ?? $0 } ?? "toutes",
                accompanied: result.accompanied, repriseRate: result.repriseActivite.percent.map { $0 / 100 },
                repriseTarget: result.repriseActivite.targetPercent.map { $0 / 100 },
                sortieEmploiRate: result.sortieEmploi.percent.map { $0 / 100 },
                sortieEmploiTarget: result.sortieEmploi.targetPercent.map { $0 / 100 })
        }
        // The same indicators per référent: each référent's cases on their own (one pass over all of them).
        struct ReferentKey: Hashable {
            var operatorCode: String
            var referent: String?
        }
        var byReferent: [ReferentKey: [FollowedCase]] = [:]
        for followed in cases {
            byReferent[
                ReferentKey(
                    operatorCode: followed.accompaniment.operatorCode, referent: followed.accompaniment.referent),
                default: []
            ].append(followed)
        }
        let referentRows = byReferent.sorted {
            ($0.key.operatorCode, $0.key.referent ?? "") < ($1.key.operatorCode, $1.key.referent ?? "")
        }.flatMap { key, group in
            Indicators.compute(group, programmes: programmes, structures: structures, from: from, to: to)
                .byFicheAndStructure.map { result in
                    var row = ProgrammeRow(
                        ficheCode: result.fiche.rawValue, label: ficheLabel(result.fiche),
                        structure: structures.structures[key.operatorCode]?.name ?? key.operatorCode,
                        accompanied: result.accompanied, repriseRate: result.repriseActivite.percent.map { $0 / 100 },
                        repriseTarget: result.repriseActivite.targetPercent.map { $0 / 100 },
                        sortieEmploiRate: result.sortieEmploi.percent.map { $0 / 100 },
                        sortieEmploiTarget: result.sortieEmploi.targetPercent.map { $0 / 100 })
                    row.referent = key.referent
                    return row
                }
        }
        let cvRows = cv.byStructure.map { line in
            CVDepositRow(
                programme: "fiche \(line.fiche.rawValue)",
                structure: line.operatorCode.map { structures.structures[$0]?.name ?? $0 } ?? "—",
                jobReady: line.jobReady, deposited: line.deposited)
        }
        // Entries by the month an accompaniment starts, exits by the month it ends, within the period.
        var entries: [String: Int] = [:]
        var exits: [String: Int] = [:]
        func month(_ date: LocalDate) -> String { String(date.iso.prefix(7)) }
        for followed in cases {
            let accompaniment = followed.accompaniment
            if accompaniment.startDate >= from && accompaniment.startDate <= to {
                entries[month(accompaniment.startDate), default: 0] += 1
            }
            if let end = accompaniment.exit?.date ?? accompaniment.endDate, end >= from, end <= to {
                exits[month(end), default: 0] += 1
            }
        }
        var months: [String] = []
        var cursor = LocalDate(year: from.year, month: from.month, day: 1) ?? from
        while cursor <= to {
            months.append(month(cursor))
            cursor = cursor.adding(months: 1)
        }
        let monthly = months.map { MonthRow(month: $0, entries: entries[$0] ?? 0, exits: exits[$0] ?? 0) }
        let severities = Finding.Severity.allCases.reversed().map { severity in
            SeverityCount(
                severity: SeverityCount.label(severity.rawValue),
                count: findings.filter { $0.severity == severity }.count)
        }
        func structureName(_ code: String?) -> String {
            code.map { structures.structures[$0]?.name ?? $0 } ?? "toutes"
        }
        // Headline: every programme's accompanied people, the CV lines of the programmes asking for one, the
        // return to work of the programmes with a target, against those targets weighted by people.
        let withTarget = indicators.byFiche.filter { $0.repriseActivite.targetPercent != nil }
        let outOf = withTarget.reduce(0) { $0 + $1.repriseActivite.denominator }
        let weighted = withTarget.reduce(0.0) {
            $0 + ($1.repriseActivite.targetPercent ?? 0) / 100 * Double($1.repriseActivite.denominator)
        }
        let headline = DashboardHeadline(
            accompanied: indicators.byFiche.reduce(0) { $0 + $1.accompanied },
            cvJobReady: cv.byProgramme.reduce(0) { $0 + $1.jobReady },
            cvDeposited: cv.byProgramme.reduce(0) { $0 + $1.deposited },
            cvTarget: (cv.byProgramme.map(\.requiredPercent).max() ?? 100) / 100,
            returnToWork: withTarget.reduce(0) { $0 + $1.repriseActivite.numerator }, returnToWorkOutOf: outOf,
            returnToWorkTarget: outOf == 0
                ? withTarget.first?.repriseActivite.targetPercent.map { $0 / 100 }
                : weighted / Double(outOf),
            criticalFindings: findings.filter { $0.severity == .critical }.count, findings: findings.count)
        let cvReferents = cv.byReferent.map { line in
            CVReferentRow(
                programme: "fiche \(line.fiche.rawValue)", structure: structureName(line.operatorCode),
                referent: line.referent ?? "non renseigné", jobReady: line.jobReady, deposited: line.deposited,
                elsewhere: line.depositedElsewhere,
                missing: line.missing.map { missing in
                    var text = "\(missing.personKey) (\(missing.accompanimentID)) : \(missing.reason.rawValue)"
                    if let since = missing.since { text += " depuis le \(since.iso)" }
                    if !missing.elsewhere.isEmpty {
                        text += ", CV ailleurs : " + missing.elsewhere.map(\.platform).joined(separator: ", ")
                    }
                    return text
                })
        }
        struct Place: Hashable {
            var structure: String
            var referent: String
        }
        var places: [Place: [Finding.Severity: Int]] = [:]
        for finding in findings {
            places[Place(structure: finding.operatorCode, referent: finding.referent ?? "—"), default: [:]][
                finding.severity, default: 0] += 1
        }
        let byPlace = places.sorted {
            ($0.key.structure, $0.key.referent) < ($1.key.structure, $1.key.referent)
        }.map { place, counts in
            FindingPlaceRow(
                structure: structureName(place.structure), referent: place.referent, critical: counts[.critical] ?? 0,
                warning: counts[.warning] ?? 0, info: counts[.info] ?? 0)
        }
        let perResults = (indicators.perTotal.map { [$0] } ?? []) + indicators.perByStructure
        let perRows = perResults.filter { $0.operatorCode != nil || $0.accompanied > 0 }.map { result in
            PERRow(
                structure: structureName(result.operatorCode), accompanied: result.accompanied,
                newEntries: result.newEntries, cerRate: result.cerRate.percent.map { $0 / 100 },
                actionsPerPerson: result.actionsPerPerson, employerActionsPerPerson: result.employerActionsPerPerson,
                collectiveSessions: result.collectiveSessions, meanDurationDays: result.meanDurationDays,
                exits: result.exitsByType.sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "),
                reorientations: result.reorientations)
        }
        let perNote = programmes.programmes.values.first(where: \.perIndicators).map { programme in
            var parts = ["\(programme.title)"]
            if !programme.territory.isEmpty {
                parts.append("territoire : département " + programme.territory.sorted().joined(separator: ", "))
            }
            if let period = programme.period {
                parts.append("période de l’action : du \(period.from.iso) au \(period.to.iso)")
            }
            return parts.joined(separator: " ; ") + "."
        }
        var data = DashboardData(
            title: "Tableau de bord de l'insertion RSA", generatedOn: generatedOn.iso,
            period: DashboardPeriod(from: from.iso, to: to.iso), programmes: programmeRows, cvDeposit: cvRows,
            monthly: monthly, findings: severities,
            notes: [
                "\(cases.count) accompagnement(s) lus ; \(cases.filter { $0.rightState == nil }.count) sans personne rapprochée des fichiers CNAF.",
                "Définitions des indicateurs : docs/indicators.md ; programmes et cibles : Mappings/programmes.yaml.",
            ])
        data.headline = headline
        data.programmesByReferent = referentRows
        data.cvByReferent = cvReferents
        data.findingsByPlace = byPlace
        data.per = perRows
        data.perNote = perNote
        return data
    }
}
