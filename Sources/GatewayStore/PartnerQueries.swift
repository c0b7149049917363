import Foundation
import GatewayCore

/// A fact about a person, with the partner and the file it came from.
public struct PersonFact: Sendable, Codable, Equatable {
    public var partner: String
    public var flow: String
    public var file: String
    public var fileID: Int64
    public var kind: String
    /// How the record was matched to the person (nir, matricule, france-travail, name); nil for CNAF facts.
    public var matchedBy: String?
    public var detail: [String: String]
}

/// One person across partners.
public struct PersonView: Sendable, Codable, Equatable {
    public var personID: Int64
    public var maskedNIR: String?
    public var surname: String
    public var firstName: String
    public var birthDate: String?
    public var facts: [PersonFact]
    /// What the plausibility checks found in the records that tell of this person (their households' and their
    /// partner records'), values masked.
    public var anomalies: [StoredAnomaly] = []
}

/// An anomaly as stored: a finding of a plausibility check set to warn, with its file and record.
public struct StoredAnomaly: Sendable, Codable, Equatable {
    public var fileID: Int64
    public var file: String
    /// The record's number in its file (1-based); nil for the file.
    public var record: Int?
    public var key: String?
    public var check: String
    public var issue: ValidationIssue
}

/// An alert to write for an operator.
public struct OperatorAlert: Sendable, Equatable {
    public var operatorCode: String
    public var fields: CanonicalFields
}

extension GatewayStore {
    /// A stored record: its canonical fields (JSON) read back through the builder of its entity.
    static func record(_ entity: String, _ state: String) -> PartnerRecord? {
        CanonicalFields(jsonText: state).flatMap { PartnerRecord(entity: entity, canonical: $0) }
    }

    /// The latest CV deposit of each matched person (by the file that brought it), read once for a whole report.
    static func latestCVDeposits(_ db: any StoreConnection) throws -> [Int64: CVDeposit] {
        var deposits: [Int64: CVDeposit] = [:]
        try db.forEach(
            """
            SELECT person_id, state FROM partner_record WHERE entity = 'cv-deposit' AND person_id IS NOT NULL
            ORDER BY last_file_id, id
            """, []
        ) { row in
            if case .cvDeposit(let deposit)? = record("cv-deposit", row["state"]) {
                deposits[row["person_id"]] = deposit
            }
        }
        return deposits
    }

    /// A stored job post.
    public func jobPost(id: String) throws -> JobPost? {
        try database.read { db in
            guard
                let state: String = try db.fetchValue(
                    "SELECT state FROM partner_record WHERE entity = 'job-post' AND business_key = ?", [id]),
                case .jobPost(let post)? = Self.record("job-post", state)
            else { return nil }
            return post
        }
    }

    /// Every accompaniment linked to a known person, with what the sourcing needs from the CNAF and Job Connexion.
    public func sourcingCandidates() throws -> [Sourcing.Candidate] {
        try database.read { db in
            let rows = try db.fetchAll(
                """
                SELECT r.id, r.person_id, r.state, p.first_name, p.surname, p.soumis_droits_devoirs, h.right_state
                FROM partner_record r JOIN person p ON p.id = r.person_id JOIN household h ON h.id = p.household_id
                WHERE r.entity = 'accompaniment' ORDER BY r.id
                """)
            let cvs = try Self.latestCVDeposits(db)
            return rows.compactMap { row -> Sourcing.Candidate? in
                guard case .accompaniment(let accompaniment)? = Self.record("accompaniment", row["state"]) else {
                    return nil
                }
                return Sourcing.Candidate(
                    personID: row["person_id"], accompanimentRecordID: row["id"], accompaniment: accompaniment,
                    soumisDroitsDevoirs: (row["soumis_droits_devoirs"] as Int?) == 1,
                    rightState: (row["right_state"] as String?).flatMap(RightState.init(rawValue:)),
                    firstName: row["first_name"], surname: row["surname"], cv: cvs[row["person_id"]])
            }
        }
    }

    /// Records the candidates proposed for a post; proposing the same person again keeps the first proposal.
    public func recordProposals(
        _ proposals: [(id: String, post: JobPost, candidate: Sourcing.Candidate, rank: Int, score: Int)]
    ) throws {
        let now = Self.now()
        try database.write { db in
            for proposal in proposals {
                try db.execute(
                    """
                    INSERT INTO proposal (id, post_id, person_id, accompaniment_id, team, rank, score, proposed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (post_id, person_id) DO UPDATE SET rank = excluded.rank, score = excluded.score
                    """,
                    [
                        proposal.id, proposal.post.id, proposal.candidate.personID,
                        proposal.candidate.accompanimentRecordID, proposal.post.team?.rawValue ?? "",
                        proposal.rank, proposal.score, now,
                    ])
            }
        }
    }

    /// Alerts for the operators following people whose situation changed: right closed or suspended, payment
    /// suspended, moved to another département (CAF, MSA), radiation (France Travail). Only changes recorded
    /// from files after `afterFileID` (all when nil), for accompaniments still open.
    public func operatorAlerts(afterFileID: Int64? = nil) throws -> [OperatorAlert] {
        try database.read { db in
            var alerts: [OperatorAlert] = []
            let accompaniments = try db.fetchAll(
                "SELECT person_id, state FROM partner_record WHERE entity = 'accompaniment' AND person_id IS NOT NULL"
            ).compactMap { row -> (Int64, Accompaniment)? in
                guard case .accompaniment(let value)? = Self.record("accompaniment", row["state"]), value.exit == nil,
                    value.endDate == nil
                else { return nil }
                return (row["person_id"], value)
            }
            var byPerson: [Int64: [Accompaniment]] = [:]
            for (person, accompaniment) in accompaniments { byPerson[person, default: []].append(accompaniment) }
            // The accompaniment may be linked to another row of the same individual (same NIR, other household).
            func followed(_ personID: Int64) throws -> [Accompaniment] {
                let nir: String? = try db.fetchValue("SELECT nir13 FROM person WHERE id = ?", [personID])
                var ids: [Int64] = [personID]
                if let nir {
                    ids = try db.fetchColumn("SELECT id FROM person WHERE nir13 = ?", [nir])
                }
                return ids.flatMap { byPerson[$0] ?? [] }
            }
            let changes = try db.fetchAll(
                """
                SELECT s.household_id, s.person_id, s.kind, s.effective_date, s.motive, f.partner, f.id AS file_id
                FROM status_change s JOIN received_file f ON f.id = s.file_id
                WHERE s.kind IN ('right-closed', 'right-suspended', 'payment-suspended', 'moved-departement')
                AND s.file_id > ? ORDER BY s.id
                """, [afterFileID ?? 0])
            for change in changes {
                var people: [Int64] = []
                if let person: Int64 = change["person_id"] {
                    people = [person]
                } else {
                    people = try db.fetchColumn(
                        "SELECT id FROM person WHERE household_id = ? AND present = 1",
                        [change["household_id"] as Int64])
                }
                let kind: String = change["kind"]
                for person in people {
                    for accompaniment in try followed(person) {
                        alerts.append(
                            alert(
                                accompaniment, kind: kind, label: StatusChangeKind(rawValue: kind)?.label ?? kind,
                                date: change["effective_date"], motive: change["motive"], source: change["partner"]))
                    }
                }
            }
            let radiations = try db.fetchAll(
                """
                SELECT r.person_id, r.state, f.partner FROM partner_record r
                JOIN received_file f ON f.id = r.last_file_id
                WHERE r.entity = 'enrolment' AND r.person_id IS NOT NULL AND r.last_file_id > ?
                ORDER BY r.id
                """, [afterFileID ?? 0])
            for row in radiations {
                guard case .enrolment(let enrolment)? = Self.record("enrolment", row["state"]),
                    enrolment.kind == .radiation
                else { continue }
                for accompaniment in try followed(row["person_id"]) {
                    alerts.append(
                        alert(
                            accompaniment, kind: "france-travail-radiation", label: "radiation de France Travail",
                            date: enrolment.radiationDate?.iso, motive: enrolment.radiationReason,
                            source: row["partner"]))
                }
            }
            return alerts
        }
    }

    private func alert(
        _ accompaniment: Accompaniment, kind: String, label: String, date: String?, motive: String?, source: String
    ) -> OperatorAlert {
        var fields = CanonicalFields()
        fields["operator"] = accompaniment.operatorCode
        fields["accompanimentID"] = accompaniment.id
        fields["referent"] = accompaniment.referent
        fields["kind"] = kind
        fields["label"] = label
        fields["effectiveDate"] = date
        fields["motive"] = motive
        fields["source"] = source
        return OperatorAlert(operatorCode: accompaniment.operatorCode, fields: fields)
    }

    /// The people an identifier names: an internal person number, a NIR (13 or 15 chars), a France Travail id, or
    /// `ORGANISME:matricule`.
    public func findPeople(_ identifier: String) throws -> [Int64] {
        try database.read { db in
            let text = identifier.trimmingCharacters(in: .whitespaces).uppercased()
            if let number = Int64(text), text.count < 8 {
                return try db.fetchColumn("SELECT id FROM person WHERE id = ?", [number])
            }
            if let nir = try? NIR(validating: text) {
                return try db.fetchColumn("SELECT MAX(id) FROM person WHERE nir13 = ? GROUP BY nir13", [nir.base13])
            }
            if let id = try? FranceTravailID(validating: text) {
                return try db.fetchColumn(
                    """
                    SELECT DISTINCT id FROM (SELECT id FROM person WHERE substr(france_travail_id, 1, 8) = ?
                    UNION SELECT person_id AS id FROM person_identifier WHERE kind = 'france-travail' AND value = ?) AS ids
                    ORDER BY id
                    """, [id.matchingKey, id.matchingKey])
            }
            let parts = text.split(separator: ":")
            if parts.count == 2, let matricule = try? Matricule(validating: String(parts[1])) {
                return try db.fetchColumn(
                    """
                    SELECT p.id FROM person p JOIN household h ON h.id = p.household_id
                    WHERE h.organisme = ? AND h.matricule = ? ORDER BY p.id
                    """, [String(parts[0]), matricule.canonical])
            }
            return []
        }
    }

    /// One person across partners: the CNAF facts of every household row of the same individual, then every
    /// partner record linked to them, each with its partner and file.
    public func person(_ id: Int64) throws -> PersonView? {
        try database.read { db in
            guard
                let person = try db.fetchOne(
                    "SELECT id, nir13, surname, first_name, birth_date FROM person WHERE id = ?", [id])
            else { return nil }
            let nir13: String? = person["nir13"]
            let rowIDs =
                try nir13.map {
                    try db.fetchColumn("SELECT id FROM person WHERE nir13 = ? ORDER BY id", [$0])
                } ?? [id]
            var facts: [PersonFact] = []
            let placeholders = rowIDs.map { _ in "?" }.joined(separator: ",")
            for row in try db.fetchAll(
                """
                SELECT p.role, p.france_travail_id, p.soumis_droits_devoirs, h.organisme, h.matricule, h.right_state,
                h.departement, f.partner, f.flow, f.name, f.id AS file_id FROM person p
                JOIN household h ON h.id = p.household_id JOIN received_file f ON f.id = p.last_file_id
                WHERE p.id IN (\(placeholders)) ORDER BY p.id
                """, rowIDs.map { $0 })
            {
                var detail: [String: String] = [:]
                detail["role"] = row["role"]
                detail["organisme"] = row["organisme"]
                detail["matricule"] = (row["matricule"] as String?).map(Masking.identifier)
                detail["rightState"] = row["right_state"]
                detail["departement"] = row["departement"]
                detail["franceTravailID"] = (row["france_travail_id"] as String?).map(Masking.identifier)
                detail["soumisDroitsDevoirs"] = (row["soumis_droits_devoirs"] as Int?).map(String.init)
                facts.append(
                    PersonFact(
                        partner: row["partner"], flow: row["flow"], file: row["name"], fileID: row["file_id"],
                        kind: "household-member", matchedBy: nil, detail: detail.compactMapValues { $0 }))
            }
            for row in try db.fetchAll(
                """
                SELECT r.entity, r.state, r.matched_by, f.partner, f.flow, f.name, f.id AS file_id
                FROM partner_record r JOIN received_file f ON f.id = r.last_file_id
                WHERE r.person_id IN (\(placeholders)) ORDER BY r.last_file_id, r.id
                """, rowIDs.map { $0 })
            {
                guard let record = Self.record(row["entity"], row["state"]) else { continue }
                var detail = record.fields.values
                for name in detail.keys where name.hasPrefix("person.") { detail[name] = nil }
                facts.append(
                    PersonFact(
                        partner: row["partner"], flow: row["flow"], file: row["name"], fileID: row["file_id"],
                        kind: row["entity"], matchedBy: row["matched_by"], detail: detail))
            }
            let anomalies = try Self.anomalies(
                db,
                where: """
                    a.household_id IN (SELECT household_id FROM person WHERE id IN (\(placeholders)))
                    OR a.partner_record_id IN (SELECT id FROM partner_record WHERE person_id IN (\(placeholders)))
                    """, rowIDs + rowIDs)
            return PersonView(
                personID: rowIDs.max() ?? id, maskedNIR: nir13.map(Masking.nir), surname: person["surname"],
                firstName: person["first_name"], birthDate: person["birth_date"], facts: facts, anomalies: anomalies)
        }
    }

    /// The anomalies stored with a file's records (not those of the file itself, which its ledger entry holds).
    public func recordAnomalies(fileID: Int64) throws -> [StoredAnomaly] {
        try database.read { db in
            try Self.anomalies(db, where: "a.file_id = ? AND a.record_index IS NOT NULL", [fileID])
        }
    }

    static func anomalies(_ db: any StoreConnection, where clause: String, _ arguments: [Int64]) throws
        -> [StoredAnomaly]
    {
        try db.fetchAll(
            """
            SELECT a.file_id, f.name, a.record_index, a.record_key, a.check_id, a.type, a.field, a.line, a.path,
            a.value, a.message FROM anomaly a JOIN received_file f ON f.id = a.file_id WHERE \(clause)
            ORDER BY a.id
            """, arguments.map { $0 }
        ).map { row in
            let index: Int? = row[2]
            let check: String = row[4]
            return StoredAnomaly(
                fileID: row[0], file: row[1], record: index.map { $0 + 1 }, key: row[3], check: check,
                issue: ValidationIssue(
                    type: IssueType(rawValue: row[5]) ?? .constraintError, field: row[6], line: row[7], path: row[8],
                    value: row[9], message: row[10], check: PlausibilityCheck(rawValue: check)))
        }
    }

    /// The quarantined records and file-level issues of a received file, for its rejection notice.
    public func rejections(fileID: Int64) throws -> (file: ReceivedFile, records: [(Int, Int?, [ValidationIssue])])? {
        try database.read { db in
            guard
                let file = try db.fetchOne("SELECT * FROM received_file WHERE id = ?", [fileID])
                    .map(ReceivedFile.init(row:))
            else { return nil }
            let decoder = JSONDecoder()
            let records = try db.fetchAll(
                """
                SELECT record_index, line, issues FROM quarantine WHERE file_id = ? AND status <> 'waiting'
                ORDER BY record_index
                """, [fileID]
            ).map { row -> (Int, Int?, [ValidationIssue]) in
                let issues =
                    (try? decoder.decode([ValidationIssue].self, from: Data((row["issues"] as String).utf8))) ?? []
                return (row["record_index"], row["line"], issues)
            }
            return (file, records)
        }
    }
}

extension GatewayStore {
    /// Every accompaniment with what the CNAF files (soumis à droits et devoirs, the household's right) and Job
    /// Connexion (the latest CV deposit) say of its person: what the programme rules read. Streamed from the
    /// store; the person is named by a masked key only.
    public func followedCases() throws -> [FollowedCase] {
        try database.read { db in
            var cases: [FollowedCase] = []
            let cvs = try Self.latestCVDeposits(db)
            struct Stored {
                var personID: Int64?
                var state: String
                var nir13: String?
                var soumis: Int?
                var right: String?
            }
            let stored = try db.fetchAll(
                """
                SELECT r.person_id, r.state, p.nir13, p.soumis_droits_devoirs, h.right_state
                FROM partner_record r LEFT JOIN person p ON p.id = r.person_id
                LEFT JOIN household h ON h.id = p.household_id
                WHERE r.entity = 'accompaniment' ORDER BY r.id
                """
            ).map { row in
                Stored(
                    personID: row[0], state: row[1], nir13: row[2], soumis: row[3], right: row[4])
            }
            // Reading the records back is most of the work: both cores share it, each on its own slice.
            let slices = max(1, min(ProcessInfo.processInfo.activeProcessorCount, stored.count / 1000 + 1))
            let decoded = UnsafeMutableBufferPointer<FollowedCase?>.allocate(capacity: stored.count)
            decoded.initialize(repeating: nil)
            defer { decoded.deallocate() }
            nonisolated(unsafe) let output = decoded
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                let range =
                    (stored.count * slice / slices)..<(stored.count * (slice + 1) / slices)
                for index in range {
                    let item = stored[index]
                    guard case .accompaniment(let accompaniment)? = Self.record("accompaniment", item.state) else {
                        continue
                    }
                    let key: String
                    if let nir13 = item.nir13 {
                        key = "NIR " + Masking.nir(nir13)
                    } else if let personID = item.personID {
                        key = "personne n° \(personID)"
                    } else {
                        key = "non rapprochée (" + accompaniment.person.maskedLabel + ")"
                    }
                    output[index] = FollowedCase(
                        personKey: key, accompaniment: accompaniment,
                        soumisDroitsDevoirs: item.personID == nil ? nil : item.soumis.map { $0 == 1 },
                        rightState: item.right.flatMap(RightState.init(rawValue:)),
                        cv: item.personID.flatMap { cvs[$0] })
                }
            }
            cases = decoded.compactMap { $0 }
            return cases
        }
    }
}
