import Foundation
import GatewayCore

/// The embedded store: its repositories, one per business area, over one database (SQLite through GRDB here,
/// PostgreSQL through `GatewayStorePostgres`). The application opens it where it is assembled (the CLI) and hands
/// each part the repositories it uses.
public struct GatewayStore: Sendable {
    /// Received files, applying a file (the import session), quarantine and replay.
    public let ledger: SQLLedgerRepository
    /// Households and people: lookups, status changes, the right-of-access export.
    public let people: SQLPeopleRepository
    /// Partner records, their links to people, the sourcing proposals.
    public let partnerRecords: SQLPartnerRecordRepository
    /// Exchanges: the journal, file claims, sent files, schedule state, shared work claims.
    public let exchanges: SQLExchangeRepository
    /// API keys and the audit log.
    public let access: SQLAccessRepository
    /// The purge of personal data past retention.
    public let retention: SQLRetentionRepository
    /// The mails waiting for their server.
    public let mail: SQLMailRepository
    /// The staff's console accounts.
    public let staff: SQLStaffRepository
    let database: any StoreDatabase

    /// The store on `database`, already migrated (`SQLiteDatabase`, or `PostgresStoreDatabase`).
    public init(database: any StoreDatabase) {
        self.database = database
        ledger = SQLLedgerRepository(database: database)
        people = SQLPeopleRepository(database: database)
        partnerRecords = SQLPartnerRecordRepository(database: database)
        exchanges = SQLExchangeRepository(database: database)
        access = SQLAccessRepository(database: database)
        retention = SQLRetentionRepository(database: database)
        mail = SQLMailRepository(database: database)
        staff = SQLStaffRepository(database: database)
    }

    /// Opens (creating if needed) the SQLite store at `path` and migrates it.
    public init(path: String) throws {
        self.init(database: try SQLiteDatabase(path: path))
    }

    /// An online copy of an embedded (SQLite) store to `path`; a PostgreSQL store is saved with `pg_dump`.
    public func backup(to path: String) throws {
        guard let sqlite = database as? SQLiteDatabase else {
            throw StoreFailure("Sauvegarde d'une base PostgreSQL : pg_dump (voir docs/operations.md).")
        }
        try sqlite.backup(to: path)
    }

    /// An in-memory store, for tests.
    public init() throws {
        self.init(database: try SQLiteDatabase())
    }

    /// The folder where files are kept beside a store (refused files, outbox, uploads): the SQLite file's own
    /// folder, or, for a PostgreSQL store (a `postgres://` address), `dataFolder` (the CLI reads `GATEWAY_DATA`).
    public static func folder(beside location: String, dataFolder: String = "data") -> String {
        if isPostgres(location) {
            return dataFolder
        }
        let folder = (location as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Whether `location` names a PostgreSQL database (`postgres://…`) rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Row counts per table, for tests and the summary.
    public func tableCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for table in [
                "received_file", "household", "right_status", "person", "cnaf_event", "status_change", "quarantine",
                "partner_record", "person_identifier", "proposal", "household_source", "anomaly",
            ] {
                counts[table] = try db.fetchValue("SELECT COUNT(*) FROM \(table)") ?? 0
            }
            return counts
        }
    }

    /// Streams the rows of an export, header first; values never leave the store as a whole table in memory.
    public func export(_ table: ExportTable, _ row: ([String]) throws -> Void) throws {
        try database.read { db in
            try row(table.columns)
            try db.forEach(table.sql, []) { next in
                try row(
                    next.values.map { value in
                        switch value {
                        case .null: ""
                        case .integer(let number): String(number)
                        case .double(let number): String(number)
                        case .text(let text): text
                        case .blob(let data): data.base64EncodedString()
                        }
                    })
            }
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func now() -> String {
        TimeStamp.iso8601(seconds: Date().timeIntervalSince1970, fraction: false)
    }
}

/// What `export` can write.
public enum ExportTable: String, Sendable, CaseIterable {
    case households, people
    case statusChanges = "status-changes"
    case quarantine, files
    /// Records of the partner flows (enrolments, CV deposits, job posts, accompaniments, feedback), canonical JSON.
    case partnerRecords = "partner-records"
    /// Identifiers learnt from partners, with their source.
    case links
    case proposals
    /// What the plausibility checks found in applied records and files.
    case anomalies

    var columns: [String] {
        switch self {
        case .anomalies:
            [
                "fichier", "nom_fichier", "partenaire", "flux", "enregistrement", "ligne", "cle", "controle", "type",
                "champ", "chemin", "valeur", "message",
            ]
        case .partnerRecords:
            [
                "entite", "cle", "partenaire", "perimetre", "personne", "rapproche_par", "premier_fichier",
                "dernier_fichier", "enregistrement",
            ]
        case .links: ["personne", "type", "valeur", "partenaire", "fichier"]
        case .proposals:
            ["reference", "offre", "personne", "equipe", "rang", "score", "propose_le", "resultat"]
        case .households:
            [
                "organisme", "matricule", "numorg", "numdemrsa", "dtdemrsa", "departement_partenaire", "commune_insee",
                "code_postal", "commune", "departement", "sans_domicile_fixe", "soumis_droits_devoirs_foyer",
                "etat_droit", "nature_prestation", "date_suspension_versement", "motif_suspension_versement",
                "date_cloture", "motif_cloture", "reference_date", "absent_depuis_fichier",
            ]
        case .people:
            [
                "organisme", "matricule", "role", "nir", "civilite", "nom", "nom_naissance", "prenom",
                "date_naissance", "sexe", "identifiant_france_travail", "soumis_droits_devoirs",
                "entrant_droits_devoirs", "present",
            ]
        case .statusChanges:
            [
                "fichier", "organisme", "matricule", "role", "type", "date_effet", "avant", "apres", "motif",
                "code_evenement",
            ]
        case .quarantine:
            ["fichier", "nom_fichier", "enregistrement", "ligne", "cle", "erreurs", "brut", "statut", "resolu_le"]
        case .files:
            [
                "id", "partenaire", "flux", "nom", "taille", "sha256", "recu_le", "resultat", "date_reference",
                "lus", "acceptes", "doublons", "quarantaine", "changements", "anomalies_fichier",
            ]
        }
    }

    var sql: String {
        switch self {
        case .anomalies:
            """
            SELECT a.file_id, f.name, f.partner, f.flow, a.record_index + 1, a.line, a.record_key, a.check_id,
            a.type, a.field, a.path, a.value, a.message FROM anomaly a JOIN received_file f ON f.id = a.file_id
            ORDER BY a.id
            """

        case .partnerRecords:
            """
            SELECT entity, business_key, partner, scope, person_id, matched_by, first_file_id, last_file_id,
            state FROM partner_record ORDER BY entity, business_key
            """
        case .links: "SELECT person_id, kind, value, partner, file_id FROM person_identifier ORDER BY person_id, kind"
        case .proposals:
            """
            SELECT id, post_id, person_id, team, rank, score, proposed_at, outcome FROM proposal
            ORDER BY post_id, rank
            """
        case .households:
            """
            SELECT h.organisme, h.matricule, h.organisme_number, h.rsa_request_number, h.rsa_request_date,
            h.partner_departement, h.commune_insee, h.postal_code, h.commune_name, h.departement, h.homeless,
            h.soumis_droits_devoirs, r.state, r.benefit_nature, r.payment_suspension_date,
            r.payment_suspension_motive, COALESCE(r.closure_date, r.earlier_month_closure_date),
            COALESCE(r.closure_motive, r.earlier_month_closure_motive), h.last_reference_date, h.absent_since_file_id
            FROM household h LEFT JOIN right_status r ON r.household_id = h.id ORDER BY h.organisme, h.matricule
            """
        case .people:
            """
            SELECT h.organisme, h.matricule, p.role, COALESCE(p.nir13 || COALESCE(p.nir_key, ''), ''), p.civility,
            p.surname, p.birth_name, p.first_name, p.birth_date, p.sex, p.france_travail_id,
            p.soumis_droits_devoirs, p.entrant_droits_devoirs, p.present
            FROM person p JOIN household h ON h.id = p.household_id ORDER BY h.organisme, h.matricule, p.id
            """
        case .statusChanges:
            """
            SELECT s.file_id, h.organisme, h.matricule, p.role, s.kind, s.effective_date, s.before_value,
            s.after_value, s.motive, s.event_code FROM status_change s JOIN household h ON h.id = s.household_id
            LEFT JOIN person p ON p.id = s.person_id ORDER BY s.id
            """
        case .quarantine:
            """
            SELECT q.file_id, f.name, q.record_index + 1, q.line, q.record_key, q.issues, q.raw, q.status,
            q.resolved_at FROM quarantine q
            JOIN received_file f ON f.id = q.file_id ORDER BY q.id
            """
        case .files:
            """
            SELECT id, partner, flow, name, size, sha256, received_at, outcome, reference_date, records, accepted,
            duplicates, quarantined, status_changes, issues FROM received_file ORDER BY id
            """
        }
    }
}
