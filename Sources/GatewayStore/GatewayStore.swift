import Foundation
import GRDB
import GatewayCore

/// A file as received, before it is applied: who sent it, its name, size and content hash.
public struct FileArrival: Sendable {
    public var partner: String
    public var flow: String
    public var name: String
    public var size: Int
    public var sha256: String

    public init(partner: String, flow: String, name: String, size: Int, sha256: String) {
        self.partner = partner
        self.flow = flow
        self.name = name
        self.size = size
        self.sha256 = sha256
    }
}

/// What the ledger holds about a received file.
public struct ReceivedFile: Sendable, Codable, Equatable {
    public var id: Int64
    public var partner: String
    public var flow: String
    public var sha256: String
    public var name: String
    public var size: Int
    public var receivedAt: String
    /// `applied`, `rejected` (read but refused as a whole) or `unreadable`.
    public var outcome: String
    public var referenceDate: String?
    public var records: Int
    public var accepted: Int
    public var duplicates: Int
    public var quarantined: Int
    public var statusChanges: Int
    public var issues: [ValidationIssue]
    public var keptPath: String?
    /// Anomalies stored with the file (plausibility checks set to warn).
    public var anomalies: Int = 0
    /// Of the quarantined records, those waiting for what they refer to (not errors of the partner's).
    public var waiting: Int = 0
    /// How many times the file was read: 1, more after `import --retry`.
    public var attempts: Int = 1

    /// Whether the partner gets a notice of this file: it was refused, some records were quarantined (not merely
    /// waiting), or its flow's notice lists anomalies (`listingAnomalies`) and it has some.
    public func needsNotice(listingAnomalies: Bool) -> Bool {
        outcome != "applied" || quarantined > waiting || (listingAnomalies && anomalies > 0)
    }
}

/// A later attempt at a file refused whole: its ledger number, who asks, and the journal run it belongs to.
public struct FileRetry: Sendable {
    public var fileID: Int64
    public var actor: String
    public var runID: Int64?

    public init(fileID: Int64, actor: String, runID: Int64?) {
        self.fileID = fileID
        self.actor = actor
        self.runID = runID
    }
}

/// The counts a file's import ends with. `records == accepted + duplicates + quarantined`.
public struct ImportCounts: Sendable, Codable, Equatable {
    public var records = 0
    public var accepted = 0
    public var duplicates = 0
    public var quarantined = 0
    public var statusChanges = 0
    /// Partner records accepted but matched to no known person (kept, linked when they can be).
    public var unmatched = 0
    /// Anomalies stored (plausibility findings set to warn, on records and on the file).
    public var anomalies = 0
    /// Of the quarantined, those kept waiting for what they refer to (a feedback before its proposal).
    public var waiting = 0

    public init() {}
}

/// The embedded store: ledger of received files, households, people, rights, quarantine, history.
public struct GatewayStore: Sendable {
    let database: any StoreDatabase

    /// A store on another database (PostgreSQL, `GatewayStorePostgres`), already migrated.
    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// Opens (creating if needed) the SQLite store at `path` and migrates it.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A larger page cache keeps the indexes of a growing store in memory during a large import.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        // Two gateways opening a new store at once race to switch it to WAL and to migrate it: the loser gets
        // "database is locked" or finds the tables already made; once the winner is done, opening again works.
        var attempt = 0
        var opened: DatabasePool?
        while opened == nil {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Schema.migrator.migrate(pool)
                opened = pool
            } catch {
                attempt += 1
                if attempt >= 10 { throw error }
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt))
            }
        }
        self.database = SQLiteDatabase(writer: opened!)
    }

    /// The folder where files are kept beside a store (refused files, outbox, uploads): the SQLite file's own
    /// folder, or, for a PostgreSQL store (a `postgres://` address), `GATEWAY_DATA` or `data`.
    public static func folder(beside location: String) -> String {
        if isPostgres(location) {
            return ProcessInfo.processInfo.environment["GATEWAY_DATA"] ?? "data"
        }
        let folder = (location as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Whether `location` names a PostgreSQL database (`postgres://…`) rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// An in-memory store, for tests.
    public init() throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: configuration)
        try Schema.migrator.migrate(queue)
        self.database = SQLiteDatabase(writer: queue)
    }

    /// The ledger entry for a file already received from `partner` with this content, if any.
    public func receivedFile(partner: String, sha256: String) throws -> ReceivedFile? {
        try database.read { db in
            try db.fetchOne("SELECT * FROM received_file WHERE partner = ? AND sha256 = ?", [partner, sha256])
                .map(ReceivedFile.init(row:))
        }
    }

    /// Every received file, oldest first.
    public func receivedFiles() throws -> [ReceivedFile] {
        try database.read { db in
            try db.fetchAll("SELECT * FROM received_file ORDER BY id").map(ReceivedFile.init(row:))
        }
    }

    /// Applies a file in one transaction: `work` upserts and quarantines through the session; if it throws,
    /// nothing of the file is kept (not even its ledger entry) and the error is rethrown. Throws
    /// `FileAlreadyReceived` when the ledger holds the file by the time the transaction records it (another
    /// instance applied it meanwhile).
    ///
    /// `retry`: the file is the ledger's entry of that number, refused before (`import --retry`): it is applied in
    /// that entry (whose later attempt `retry.attempt` records), never a second time once applied.
    public func apply(
        _ arrival: FileArrival, referenceDate: LocalDate?, retry: FileRetry? = nil,
        _ work: (ImportSession) throws -> Void
    ) throws -> (ReceivedFile, ImportCounts) {
        try database.write(bulk: true) { db in
            // One file applied at a time, across gateway instances, as SQLite's single writer does: a file's changes
            // are derived from the state the files before it left (two CNAF months at once would both insert the
            // same households). The ledger's unique (partner, sha256) then decides between two instances importing
            // the same file: the second, once the first has committed, inserts nothing.
            try db.lock("apply")
            if let retry {
                guard
                    try db.execute(
                        """
                        UPDATE received_file SET outcome = 'applied', attempts = attempts + 1, issues = '[]'
                        WHERE id = ? AND outcome <> 'applied'
                        """, [retry.fileID]) == 1
                else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
                try Self.recordAttempt(db, retry, outcome: "applied", issues: [])
            } else {
                guard
                    try db.execute(
                        """
                        INSERT INTO received_file (partner, flow, sha256, name, size, received_at, outcome, reference_date)
                        VALUES (?, ?, ?, ?, ?, ?, 'applied', ?) ON CONFLICT (partner, sha256) DO NOTHING
                        """,
                        [
                            arrival.partner, arrival.flow, arrival.sha256, arrival.name, arrival.size, Self.now(),
                            referenceDate?.iso,
                        ]) == 1
                else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
            }
            let fileID = try retry?.fileID ?? Self.ledgerID(db, arrival)
            let session = try ImportSession(db: db, fileID: fileID, referenceDate: referenceDate)
            try work(session)
            let counts = session.counts
            let issues = String(decoding: try Self.encoder.encode(session.fileIssues), as: UTF8.self)
            try db.execute(
                """
                UPDATE received_file SET records = ?, accepted = ?, duplicates = ?, quarantined = ?,
                status_changes = ?, issues = ?, reference_date = ?, anomalies = ?, waiting = ?, header = ?
                WHERE id = ?
                """,
                [
                    counts.records, counts.accepted, counts.duplicates, counts.quarantined, counts.statusChanges,
                    issues, session.referenceDate?.iso, counts.anomalies, counts.waiting, session.fileHeader, fileID,
                ])
            let file = try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [fileID])
                .map(ReceivedFile.init(row:))!
            return (file, counts)
        }
    }

    private static func ledgerID(_ db: any StoreConnection, _ arrival: FileArrival) throws -> Int64 {
        guard
            let id: Int64 = try db.fetchValue(
                "SELECT id FROM received_file WHERE partner = ? AND sha256 = ?", [arrival.partner, arrival.sha256])
        else { throw FileAlreadyReceived(partner: arrival.partner, sha256: arrival.sha256) }
        return id
    }

    /// Records a file that was not applied (unreadable, or refused as a whole) with its reasons, so it is
    /// reported and recognised when it comes again. When the ledger already holds it (another instance recorded
    /// it meanwhile), that entry is returned.
    @discardableResult
    public func recordRefusedFile(
        _ arrival: FileArrival, outcome: String, records: Int, issues: [ValidationIssue], keptPath: String?
    ) throws -> ReceivedFile {
        let encoded = String(decoding: try Self.encoder.encode(issues), as: UTF8.self)
        return try database.write { db in
            try db.execute(
                """
                INSERT INTO received_file (partner, flow, sha256, name, size, received_at, outcome, records,
                issues, kept_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (partner, sha256) DO NOTHING
                """,
                [
                    arrival.partner, arrival.flow, arrival.sha256, arrival.name, arrival.size, Self.now(), outcome,
                    records, encoded, keptPath,
                ])
            return try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [try Self.ledgerID(db, arrival)])
                .map(ReceivedFile.init(row:))!
        }
    }

    /// Records a retry that failed again: the entry keeps its outcome and gets the new reasons, and the attempt is
    /// recorded.
    public func recordFailedRetry(_ retry: FileRetry, outcome: String, issues: [ValidationIssue]) throws -> ReceivedFile
    {
        let encoded = String(decoding: try Self.encoder.encode(issues), as: UTF8.self)
        return try database.write { db in
            try db.execute(
                "UPDATE received_file SET outcome = ?, issues = ?, attempts = attempts + 1 WHERE id = ? AND outcome <> 'applied'",
                [outcome, encoded, retry.fileID])
            try Self.recordAttempt(db, retry, outcome: outcome, issues: issues)
            return try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [retry.fileID])
                .map(ReceivedFile.init(row:))!
        }
    }

    private static func recordAttempt(
        _ db: any StoreConnection, _ retry: FileRetry, outcome: String, issues: [ValidationIssue]
    ) throws {
        let attempt: Int = try db.fetchValue("SELECT attempts FROM received_file WHERE id = ?", [retry.fileID]) ?? 2
        try db.execute(
            """
            INSERT INTO file_attempt (file_id, attempt, at, actor, outcome, issues, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (file_id, attempt) DO NOTHING
            """,
            [
                retry.fileID, attempt, now(), retry.actor, outcome,
                String(decoding: try encoder.encode(issues), as: UTF8.self), retry.runID,
            ])
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

    /// The status changes recorded from one file, in order, for tests and alerts.
    public func statusChanges(fileID: Int64) throws -> [StoredStatusChange] {
        try database.read { db in
            try db.fetchAll(
                """
                SELECT h.organisme, h.matricule, p.role, s.kind, s.effective_date, s.before_value, s.after_value,
                s.motive, s.event_code FROM status_change s JOIN household h ON h.id = s.household_id
                LEFT JOIN person p ON p.id = s.person_id WHERE s.file_id = ? ORDER BY s.id
                """, [fileID]
            ).map { row in
                StoredStatusChange(
                    organisme: row[0], matricule: row[1], personRole: row[2], kind: row[3], effectiveDate: row[4],
                    before: row[5], after: row[6], motive: row[7], eventCode: row[8])
            }
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}

/// A status change as stored, with the household's business key and the person's role.
public struct StoredStatusChange: Sendable, Codable, Equatable {
    public var organisme: String
    public var matricule: String
    public var personRole: String?
    public var kind: String
    public var effectiveDate: String?
    public var before: String?
    public var after: String?
    public var motive: String?
    public var eventCode: String?
}

extension ReceivedFile {
    init(row: SQLRow) {
        let issuesText: String = row["issues"] ?? "[]"
        self.init(
            id: row["id"], partner: row["partner"], flow: row["flow"], sha256: row["sha256"], name: row["name"],
            size: row["size"], receivedAt: row["received_at"], outcome: row["outcome"],
            referenceDate: row["reference_date"], records: row["records"], accepted: row["accepted"],
            duplicates: row["duplicates"], quarantined: row["quarantined"], statusChanges: row["status_changes"],
            issues: (try? JSONDecoder().decode([ValidationIssue].self, from: Data(issuesText.utf8))) ?? [],
            keptPath: row["kept_path"], anomalies: row["anomalies"] ?? 0, waiting: row["waiting"] ?? 0,
            attempts: row["attempts"] ?? 1)
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
