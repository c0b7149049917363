/// Turns `DashboardData` into one self-contained HTML5 page, in French: inline CSS, inline SVG charts, no
/// JavaScript, no external resource (it opens offline and prints as it shows). Every chart is a `<figure>`
/// followed by a `<table>` of its figures; every text from the data is escaped.
public enum DashboardRenderer {
    public static func render(_ data: DashboardData) -> String {
        var page = "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        page += "<title>\(e(data.title))</title>\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n"
        page += header(data)
        page += "<main>\n"
        if let headline = data.headline { page += headlineSection(headline) }
        page += programmesSection(data.programmes)
        if !data.programmesByReferent.isEmpty { page += programmesByReferentSection(data.programmesByReferent) }
        page += cvDepositSection(data.cvDeposit)
        if !data.cvByReferent.isEmpty { page += cvReferentSection(data.cvByReferent) }
        page += findingsSection(data.findings)
        if !data.findingsByPlace.isEmpty { page += findingsByPlaceSection(data.findingsByPlace) }
        if !data.per.isEmpty || data.perNote != nil { page += perSection(data.per, note: data.perNote) }
        page += monthlySection(data.monthly)
        page += notesSection(data.notes)
        page += "</main>\n"
        page += "<footer><p>Page produite par InsertionGateway le \(time(data.generatedOn)). Elle ne charge aucune "
        page += "ressource extérieure et peut être imprimée telle quelle.</p></footer>\n"
        page += "</body>\n</html>\n"
        return page
    }

    // MARK: - Sections

    static func header(_ data: DashboardData) -> String {
        "<header>\n<h1>\(e(data.title))</h1>\n<p class=\"meta\">Édité le \(time(data.generatedOn))</p>\n"
            + "<p class=\"meta\">Période couverte : du \(time(data.period.from)) au \(time(data.period.to)) ; "
            + "constats et dépôt des CV au \(time(data.period.to))</p>\n</header>\n"
    }

    /// The four figures a manager reads first, each against its target.
    static func headlineSection(_ headline: DashboardHeadline) -> String {
        func card(_ id: String, _ label: String, _ value: String, _ detail: String, status: String?) -> String {
            let state = status.map { " \($0)" } ?? ""
            return "<div class=\"card\(state)\" id=\"\(id)\">\n<dt>\(e(label))</dt>\n"
                + "<dd class=\"figure\">\(e(value))</dd>\n<dd>\(e(detail))</dd>\n</div>\n"
        }
        var html = sectionStart("essentiel", "L’essentiel")
        html += "<dl class=\"headline\">\n"
        html += card(
            "essentiel-accompagnes", "Personnes accompagnées", FrenchText.integer(headline.accompanied),
            "accompagnements en cours sur la période", status: nil)
        let cvMet = headline.cvRate.map { $0 + 1e-9 >= headline.cvTarget }
        html += card(
            "essentiel-cv", "CV déposés dans Job Connexion", FrenchText.percent(headline.cvRate),
            "\(FrenchText.integer(headline.cvDeposited)) sur \(FrenchText.integer(headline.cvJobReady)) prêtes à l’emploi ; "
                + "cible \(FrenchText.percent(headline.cvTarget))" + (cvMet == false ? " — non atteinte" : ""),
            status: cvMet.map { $0 ? "met" : "missed" })
        let workMet = headline.returnToWorkRate.flatMap { rate in headline.returnToWorkTarget.map { rate + 1e-9 >= $0 }
        }
        html += card(
            "essentiel-emploi", "Reprise d’activité ou d’emploi", FrenchText.percent(headline.returnToWorkRate),
            "\(FrenchText.integer(headline.returnToWork)) sur \(FrenchText.integer(headline.returnToWorkOutOf)) ; "
                + "cible \(FrenchText.percent(headline.returnToWorkTarget)) (cibles des fiches pondérées)"
                + (workMet == false ? " — non atteinte" : ""),
            status: workMet.map { $0 ? "met" : "missed" })
        html += card(
            "essentiel-constats", "Constats critiques", FrenchText.integer(headline.criticalFindings),
            "sur \(FrenchText.integer(headline.findings)) constats des règles",
            status: headline.criticalFindings > 0 ? "missed" : "met")
        return html + "</dl>\n</section>\n"
    }

    /// Each programme's results per structure and référent.
    static func programmesByReferentSection(_ rows: [ProgrammeRow]) -> String {
        var html = sectionStart("programmes-referents", "Résultats par structure et référent")
        html += "<details open>\n<summary>Programmes : détail par référent</summary>\n"
        html += table(
            caption: "Résultats des programmes par structure et référent",
            columns: [
                ("Référent", false), ("Structure", false), ("Fiche", false), ("Personnes accompagnées", true),
                ("Reprise d’activité", true), ("Cible", true), ("Sortie emploi", true), ("Cible", true),
            ],
            rows: rows.map { row in
                [
                    row.referent ?? "non renseigné", row.structure, row.ficheCode, FrenchText.integer(row.accompanied),
                    FrenchText.percent(row.repriseRate), FrenchText.percent(row.repriseTarget),
                    FrenchText.percent(row.sortieEmploiRate), FrenchText.percent(row.sortieEmploiTarget),
                ]
            })
        return html + "</details>\n</section>\n"
    }

    /// Per référent: job-ready people, CVs that count, those elsewhere only, and who is missing.
    static func cvReferentSection(_ rows: [CVReferentRow]) -> String {
        var html = sectionStart("depot-cv-referents", "Dépôt des CV par référent")
        html +=
            "<details open>\n<summary>Personnes prêtes à l’emploi sans CV dans Job Connexion, par référent</summary>\n"
        html += table(
            caption: "Dépôt des CV par structure et référent",
            columns: [
                ("Référent", false), ("Structure", false), ("Programme", false), ("Prêtes à l’emploi", true),
                ("CV déposés", true), ("Taux de dépôt", true), ("CV ailleurs seulement", true), ("Sans CV", false),
            ],
            rows: rows.map { row in
                [
                    row.referent, row.structure, row.programme, FrenchText.integer(row.jobReady),
                    FrenchText.integer(row.deposited), FrenchText.percent(row.rate), FrenchText.integer(row.elsewhere),
                    row.missing.isEmpty ? "—" : row.missing.joined(separator: " ; "),
                ]
            })
        return html + "</details>\n</section>\n"
    }

    /// Findings per structure and référent, one column per severity.
    static func findingsByPlaceSection(_ rows: [FindingPlaceRow]) -> String {
        var html = sectionStart("constats-detail", "Constats par structure et référent")
        html += "<details open>\n<summary>Répartition des constats</summary>\n"
        html += table(
            caption: "Constats par structure et référent, par gravité",
            columns: [
                ("Structure", false), ("Référent", false), ("Critique", true), ("Avertissement", true),
                ("Information", true),
            ],
            rows: rows.map { row in
                [
                    row.structure, row.referent, FrenchText.integer(row.critical), FrenchText.integer(row.warning),
                    FrenchText.integer(row.info),
                ]
            },
            classes: [nil, nil, "sev-critique", "sev-avertissement", "sev-information"])
        return html + "</details>\n</section>\n"
    }

    /// Isère's PER indicators, with what the action covers.
    static func perSection(_ rows: [PERRow], note: String?) -> String {
        var html = sectionStart("per", "Parcours emploi renforcé (Isère)")
        if let note { html += "<p>\(e(note))</p>\n" }
        guard !rows.isEmpty else {
            return html + empty("Aucun accompagnement du parcours emploi renforcé sur la période.") + "</section>\n"
        }
        func decimal(_ value: Double?) -> String { value.map { FrenchText.decimal($0) } ?? "—" }
        html += table(
            caption: "Indicateurs de résultats de l’action 2.1",
            columns: [
                ("Structure", false), ("Allocataires accompagnés", true), ("Entrées", true),
                ("Taux de contractualisation", true), ("Actions par allocataire", true),
                ("dont en lien avec l’emploi", true), ("Actions collectives", true), ("Durée moyenne (jours)", true),
                ("Sorties emploi/formation", false), ("Réorientations", true),
            ],
            rows: rows.map { row in
                [
                    row.structure, FrenchText.integer(row.accompanied), FrenchText.integer(row.newEntries),
                    FrenchText.percent(row.cerRate), decimal(row.actionsPerPerson),
                    decimal(row.employerActionsPerPerson), FrenchText.integer(row.collectiveSessions),
                    row.meanDurationDays.map { FrenchText.integer(Int($0.rounded())) } ?? "—", row.exits,
                    FrenchText.integer(row.reorientations),
                ]
            })
        return html + "</section>\n"
    }

    static func programmesSection(_ rows: [ProgrammeRow]) -> String {
        var html = sectionStart("programmes", "Programmes et objectifs")
        guard !rows.isEmpty else {
            return html + empty("Aucun programme n’a de résultats sur la période.") + "</section>\n"
        }
        html += figure(
            caption: "Taux de reprise d’activité et de sortie emploi par programme, comparés à leur cible "
                + "(trait noir vertical).",
            SVGCharts.programmes(rows, id: "chart-programmes"))
        html += table(
            caption: "Données du graphique : résultats des programmes",
            columns: [
                ("Fiche", false), ("Programme", false), ("Structure", false), ("Personnes accompagnées", true),
                ("Reprise d’activité", true), ("Cible reprise d’activité", true), ("Sortie emploi", true),
                ("Cible sortie emploi", true),
            ],
            rows: rows.map { row in
                [
                    row.ficheCode, row.label, row.structure, FrenchText.integer(row.accompanied),
                    FrenchText.percent(row.repriseRate), FrenchText.percent(row.repriseTarget),
                    FrenchText.percent(row.sortieEmploiRate), FrenchText.percent(row.sortieEmploiTarget),
                ]
            })
        return html + "</section>\n"
    }

    static func cvDepositSection(_ rows: [CVDepositRow]) -> String {
        var html = sectionStart("depot-cv", "Dépôt des CV")
        guard !rows.isEmpty else {
            return html + empty("Aucune structure n’a de personne prête à l’emploi sur la période.") + "</section>\n"
        }
        html += figure(
            caption: "Part des personnes prêtes à l’emploi dont le CV est déposé, par structure (pointillé : 100 %).",
            SVGCharts.cvDeposit(rows, id: "chart-cv"))
        html += table(
            caption: "Données du graphique : dépôt des CV",
            columns: [
                ("Structure", false), ("Programme", false), ("Prêtes à l’emploi", true), ("CV déposés", true),
                ("Taux de dépôt", true),
            ],
            rows: rows.map { row in
                [
                    row.structure, row.programme, FrenchText.integer(row.jobReady), FrenchText.integer(row.deposited),
                    FrenchText.percent(row.rate),
                ]
            })
        return html + "</section>\n"
    }

    static func monthlySection(_ rows: [MonthRow]) -> String {
        var html = sectionStart("mouvements", "Entrées et sorties par mois")
        guard !rows.isEmpty else {
            return html + empty("Aucun mois à montrer : pas d’entrée ni de sortie sur la période.") + "</section>\n"
        }
        html += figure(
            caption: "Entrées (barres pleines) et sorties (barres hachurées) du dispositif, mois par mois.",
            SVGCharts.monthly(rows, id: "chart-mouvements"))
        html += table(
            caption: "Données du graphique : entrées et sorties par mois",
            columns: [("Mois", false), ("Entrées", true), ("Sorties", true), ("Solde", true)],
            rows: rows.map { row in
                [
                    FrenchText.longMonth(row.month), FrenchText.integer(row.entries), FrenchText.integer(row.exits),
                    FrenchText.integer(row.entries - row.exits),
                ]
            })
        return html + "</section>\n"
    }

    static func findingsSection(_ rows: [SeverityCount]) -> String {
        var html = sectionStart("constats", "Constats des règles")
        guard !rows.isEmpty else {
            return html + empty("Aucun constat des règles sur la période.") + "</section>\n"
        }
        html += figure(
            caption: "Nombre de constats des règles de contrôle, par gravité.",
            SVGCharts.findings(rows, id: "chart-constats"))
        html += table(
            caption: "Données du graphique : constats par gravité",
            columns: [("Gravité", false), ("Constats", true)],
            rows: rows.map { [$0.severity, FrenchText.integer($0.count)] },
            rowClasses: rows.map { "sev-" + severityClass($0.severity) })
        return html + "</section>\n"
    }

    static func notesSection(_ notes: [String]) -> String {
        var html = sectionStart("notes", "Notes")
        guard !notes.isEmpty else { return html + empty("Aucune note.") + "</section>\n" }
        html += "<ul>\n"
        for note in notes { html += "<li>\(e(note))</li>\n" }
        return html + "</ul>\n</section>\n"
    }

    // MARK: - Building blocks

    static func sectionStart(_ id: String, _ heading: String) -> String {
        "<section id=\"\(id)\" aria-labelledby=\"\(id)-heading\">\n<h2 id=\"\(id)-heading\">\(e(heading))</h2>\n"
    }

    static func empty(_ sentence: String) -> String { "<p class=\"empty\">\(e(sentence))</p>\n" }

    static func figure(caption: String, _ svg: String) -> String {
        "<figure>\n<figcaption>\(e(caption))</figcaption>\n\(svg)\n</figure>\n"
    }

    /// A table: the first column's cells are row headers; numeric columns are aligned right. `classes`: a class
    /// per column (its header and cells: the severities' colours); `rowClasses`: a class per row's first cell.
    static func table(
        caption: String, columns: [(title: String, numeric: Bool)], rows: [[String]], classes: [String?] = [],
        rowClasses: [String] = []
    ) -> String {
        func attributes(_ column: Int, row: Int? = nil) -> String {
            var names: [String] = []
            if column < columns.count && columns[column].numeric { names.append("num") }
            if column < classes.count, let name = classes[column] { names.append(name) }
            if column == 0, let row, row < rowClasses.count { names.append(rowClasses[row]) }
            return names.isEmpty ? "" : " class=\"\(names.joined(separator: " "))\""
        }
        var html = "<div class=\"table-wrap\">\n<table>\n<caption>\(e(caption))</caption>\n<thead>\n<tr>"
        for (index, column) in columns.enumerated() {
            html += "<th scope=\"col\"\(attributes(index))>\(e(column.title))</th>"
        }
        html += "</tr>\n</thead>\n<tbody>\n"
        for (rowIndex, row) in rows.enumerated() {
            html += "<tr>"
            for (index, cell) in row.enumerated() {
                let attributes = attributes(index, row: rowIndex)
                html +=
                    index == 0 ? "<th scope=\"row\"\(attributes)>\(e(cell))</th>" : "<td\(attributes)>\(e(cell))</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n</div>\n"
    }

    /// `critique`, `avertissement`, `information` (else `autre`): the class of a severity's colours.
    static func severityClass(_ label: String) -> String {
        let key = label.lowercased()
        if key.contains("critique") || key.contains("err") { return "critique" }
        if key.contains("avert") { return "avertissement" }
        if key.contains("info") { return "information" }
        return "autre"
    }

    /// The severities' colours: white text on each, every pair ≥ 4.5:1 (WCAG AA), three distinct hues; the same as
    /// the findings chart's bars.
    public static let severityColours: [(name: String, background: String, text: String)] = [
        ("critique", "#b3261e", "#ffffff"), ("avertissement", "#8a5300", "#ffffff"),
        ("information", "#1f5f99", "#ffffff"),
    ]

    /// `<time datetime="2026-11-02">2 novembre 2026</time>`.
    static func time(_ iso: String) -> String {
        "<time datetime=\"\(e(iso))\">\(e(FrenchText.longDate(iso)))</time>"
    }

    static func e(_ text: String) -> String { FrenchText.escape(text) }

    // The page's only style sheet. No `<` or `&` in it, so the page stays well-formed XML as well.
    static let stylesheet = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; color: #1a1a1a; background: #ffffff; line-height: 1.5; font-size: 16px;
          font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        header, main, footer { max-width: 62rem; margin: 0 auto; padding: 0 1.5rem; }
        header { padding-top: 1.5rem; border-bottom: 3px solid #1f4e79; }
        h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 0.25rem; color: #12355b; }
        h2 { font-size: 1.3rem; margin: 2rem 0 0.75rem; padding-bottom: 0.25rem; color: #12355b;
          border-bottom: 1px solid #c9d3de; }
        .meta { margin: 0 0 1rem; color: #3d4852; }
        figure { margin: 0 0 1rem; }
        figcaption { font-weight: 600; margin-bottom: 0.5rem; }
        svg.chart { display: block; width: 100%; height: auto; }
        svg.chart text { font-family: inherit; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; margin: 0 0 1.5rem; font-size: 0.92rem;
          font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: 600; padding: 0.25rem 0; color: #3d4852; }
        th, td { border: 1px solid #c9d3de; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
        thead th { background: #eef2f6; }
        tbody th { font-weight: 600; }
        .num { text-align: right; }
        td.num, tbody th { white-space: nowrap; }
        .empty { font-style: italic; color: #3d4852; }
        .headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 0.75rem;
          margin: 0 0 1rem; }
        .card { border: 1px solid #c9d3de; border-left: 6px solid #4a5560; border-radius: 4px; padding: 0.6rem 0.8rem;
          background: #f7f9fb; }
        .card.met { border-left-color: #2e6b30; }
        .card.missed { border-left-color: #b3261e; }
        .card dt { font-weight: 600; color: #12355b; }
        .card dd { margin: 0; color: #3d4852; font-size: 0.92rem; }
        .card dd.figure { font-size: 2rem; font-weight: 700; color: #1a1a1a; line-height: 1.2; }
        details summary { cursor: pointer; font-weight: 600; margin-bottom: 0.5rem; }
        th.sev-critique, td.sev-critique { background: #b3261e; color: #ffffff; }
        th.sev-avertissement, td.sev-avertissement { background: #8a5300; color: #ffffff; }
        th.sev-information, td.sev-information { background: #1f5f99; color: #ffffff; }
        footer { margin-top: 2rem; padding-top: 1rem; padding-bottom: 2rem; color: #3d4852; font-size: 0.9rem;
          border-top: 1px solid #c9d3de; }
        @page { size: A4; margin: 14mm; }
        @media print {
          body { font-size: 10.5pt; }
          header, main, footer { max-width: none; padding-left: 0; padding-right: 0; }
          h2 { break-after: avoid; }
          figure, tr { break-inside: avoid; }
          thead { display: table-header-group; }
          .table-wrap { overflow: visible; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        }

        """
}
