import GatewayReports

/// Dashboards the tests render: a full one (made-up figures, shaped like the Bas-Rhin ones), one with no row at all
/// and one whose denominators are all 0.
enum DashboardSamples {
    static let full = DashboardData(
        title: "Tableau de bord de l’insertion RSA — septembre et octobre 2026",
        generatedOn: "2026-11-02",
        period: DashboardPeriod(from: "2026-05-01", to: "2026-10-31"),
        programmes: [
            ProgrammeRow(
                ficheCode: "FA-12", label: "Accompagnement socioprofessionnel renforcé", accompanied: 1234,
                repriseRate: 0.725, repriseTarget: 0.6, sortieEmploiRate: 0.318, sortieEmploiTarget: 0.35),
            ProgrammeRow(
                ficheCode: "FA-12", label: "Accompagnement socioprofessionnel renforcé",
                structure: "Association Relais Emploi Strasbourg", accompanied: 412, repriseRate: 0.58,
                repriseTarget: 0.6, sortieEmploiRate: 0.41, sortieEmploiTarget: 0.35),
            ProgrammeRow(
                ficheCode: "FA-07", label: "Développeurs Emploi (parcours vers l’entreprise)", accompanied: 96,
                repriseRate: 0.4, repriseTarget: 0.5, sortieEmploiRate: nil, sortieEmploiTarget: 0.25),
            ProgrammeRow(
                ficheCode: "FA-21", label: "Chantier d’insertion maraîchage", structure: "Jardins de la Bruche",
                accompanied: 38, repriseRate: 0.9, repriseTarget: nil, sortieEmploiRate: 0.105,
                sortieEmploiTarget: 0.2),
        ],
        cvDeposit: [
            CVDepositRow(
                programme: "FA-12", structure: "Association Relais Emploi Strasbourg", jobReady: 40, deposited: 29),
            CVDepositRow(programme: "FA-12", structure: "Espace Insertion Haguenau", jobReady: 25, deposited: 25),
            CVDepositRow(programme: "FA-07", structure: "Développeurs Emploi Bas-Rhin", jobReady: 18, deposited: 7),
            CVDepositRow(programme: "FA-21", structure: "Jardins de la Bruche", jobReady: 0, deposited: 0),
        ],
        monthly: [
            MonthRow(month: "2026-05", entries: 310, exits: 255),
            MonthRow(month: "2026-06", entries: 287, exits: 301),
            MonthRow(month: "2026-07", entries: 198, exits: 242),
            MonthRow(month: "2026-08", entries: 164, exits: 120),
            MonthRow(month: "2026-09", entries: 402, exits: 268),
            MonthRow(month: "2026-10", entries: 1043, exits: 290),
        ],
        findings: [
            SeverityCount(severity: "Erreur", count: 12),
            SeverityCount(severity: "Avertissement", count: 87),
            SeverityCount(severity: "Information", count: 240),
        ],
        notes: [
            "Taux calculés sur les personnes sorties du dispositif pendant la période.",
            "Octobre 2026 : rattrapage des entrées de l’été (fichier CNAF du 5 octobre).",
        ])

    static let empty = DashboardData(
        title: "Tableau de bord vide", generatedOn: "2026-11-02",
        period: DashboardPeriod(from: "2026-09-01", to: "2026-09-30"))

    static let noDenominators = DashboardData(
        title: "Sans dénominateur", generatedOn: "2026-11-02",
        period: DashboardPeriod(from: "2026-09-01", to: "2026-09-30"),
        programmes: [
            ProgrammeRow(
                ficheCode: "FA-99", label: "Programme sans sortie", accompanied: 0, repriseRate: nil,
                repriseTarget: 0.6, sortieEmploiRate: nil, sortieEmploiTarget: nil)
        ],
        cvDeposit: [CVDepositRow(programme: "FA-99", structure: "Structure neuve", jobReady: 0, deposited: 0)],
        monthly: [MonthRow(month: "2026-09", entries: 0, exits: 0)],
        findings: [SeverityCount(severity: "Erreur", count: 0)])
}
