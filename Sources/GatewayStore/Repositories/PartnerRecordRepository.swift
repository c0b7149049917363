import Foundation
import GatewayCore

/// An alert to write for an operator.
public struct OperatorAlert: Sendable, Equatable {
    public var operatorCode: String
    public var fields: CanonicalFields
}

/// Partner records (enrolments, CV deposits, job posts, accompaniments, feedback), their links to people, and the
/// sourcing proposals: what the notices, alerts and programme reports read.
public protocol PartnerRecordRepository: Sendable {
    /// A stored job post.
    func jobPost(id: String) throws -> JobPost?
    /// Every accompaniment linked to a known person, with what the sourcing needs from the CNAF and Job Connexion.
    func sourcingCandidates() throws -> [Sourcing.Candidate]
    /// Every stored job post, with the people already proposed for it and how many of them were hired.
    func sourcingPosts() throws -> [SourcingPost]
    /// Records the candidates proposed for a post on `day`; proposing the same person again keeps the first
    /// proposal.
    func recordProposals(
        _ proposals: [(id: String, post: JobPost, candidate: Sourcing.Candidate, rank: Int, score: Int)],
        on day: LocalDate
    ) throws
    /// Alerts for the operators following people whose situation changed: right closed or suspended, payment
    /// suspended, moved to another département (CAF, MSA), radiation (France Travail). Only changes recorded
    /// from files after `afterFileID` (all when nil), for accompaniments still open.
    func operatorAlerts(afterFileID: Int64?) throws -> [OperatorAlert]
    /// Every accompaniment with what the CNAF files (soumis à droits et devoirs, the household's right, when the
    /// person was last flagged entering droits et devoirs) and the CV platforms (the latest CV on each) say of its
    /// person: what the programme rules read. The person is named by a masked key only.
    func followedCases() throws -> [FollowedCase]
}

extension PartnerRecordRepository {
    // The requirements with their usual arguments left out.
    public func operatorAlerts(afterFileID: Int64? = nil) throws -> [OperatorAlert] {
        try operatorAlerts(afterFileID: afterFileID)
    }
}

/// A job post as the sourcing sees it: who was proposed for it already, and how many were hired.
public struct SourcingPost: Sendable {
    public var post: JobPost
    public var proposedPeople: Set<Int64>
    public var hired: Int
}

/// Partner records in SQL, over the store's database.
public struct SQLPartnerRecordRepository: PartnerRecordRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// A stored job post.
    public func jobPost(id: String) throws -> JobPost? {
        try database.read { db in
            guard
                let state: String = try db.fetchValue(
                    "SELECT state FROM partner_record WHERE entity = 'job-post' AND business_key = ?", [id]),
                case .jobPost(let post)? = GatewayStore.record("job-post", state)
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
            let cvs = try GatewayStore.latestCVDeposits(db)
            return rows.compactMap { row -> Sourcing.Candidate? in
                guard case .accompaniment(let accompaniment)? = GatewayStore.record("accompaniment", row["state"])
                else {
                    return nil
                }
                return Sourcing.Candidate(
                    personID: row["person_id"], accompanimentRecordID: row["id"], accompaniment: accompaniment,
                    soumisDroitsDevoirs: (row["soumis_droits_devoirs"] as Int?) == 1,
                    rightState: (row["right_state"] as String?).flatMap(RightState.init(rawValue:)),
                    firstName: row["first_name"], surname: row["surname"],
                    cv: cvs[row["person_id"]]?[CVDeposit.jobConnexion])
            }
        }
    }

    /// Every stored job post, with the people already proposed for it and how many of them were hired.
    public func sourcingPosts() throws -> [SourcingPost] {
        try database.read { db in
            var proposed: [String: (people: Set<Int64>, hired: Int)] = [:]
            for row in try db.fetchAll("SELECT post_id, person_id, outcome FROM proposal") {
                let post: String = row[0]
                proposed[post, default: ([], 0)].people.insert(row[1])
                if (row[2] as String?) == SourcingOutcome.hired.rawValue { proposed[post]!.hired += 1 }
            }
            return try db.fetchAll(
                "SELECT business_key, state FROM partner_record WHERE entity = 'job-post' ORDER BY business_key"
            ).compactMap { row in
                guard case .jobPost(let post)? = GatewayStore.record("job-post", row["state"]) else { return nil }
                let known = proposed[post.id]
                return SourcingPost(post: post, proposedPeople: known?.people ?? [], hired: known?.hired ?? 0)
            }
        }
    }

    /// Records the candidates proposed for a post on `day`; proposing the same person again keeps the first
    /// proposal.
    public func recordProposals(
        _ proposals: [(id: String, post: JobPost, candidate: Sourcing.Candidate, rank: Int, score: Int)],
        on day: LocalDate
    ) throws {
        let now = day.iso
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
    public func operatorAlerts(afterFileID: Int64?) throws -> [OperatorAlert] {
        try database.read { db in
            var alerts: [OperatorAlert] = []
            let accompaniments = try db.fetchAll(
                "SELECT person_id, state FROM partner_record WHERE entity = 'accompaniment' AND person_id IS NOT NULL"
            ).compactMap { row -> (Int64, Accompaniment)? in
                guard case .accompaniment(let value)? = GatewayStore.record("accompaniment", row["state"]),
                    value.exit == nil,
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
                guard case .enrolment(let enrolment)? = GatewayStore.record("enrolment", row["state"]),
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

    /// Every accompaniment with what the CNAF files (soumis à droits et devoirs, the household's right) and Job
    /// Connexion (the latest CV deposit) say of its person: what the programme rules read. Streamed from the
    /// store; the person is named by a masked key only.
    public func followedCases() throws -> [FollowedCase] {
        try database.read { db in
            var cases: [FollowedCase] = []
            let cvs = try GatewayStore.latestCVDeposits(db)
            // The last day each person (and, for another row of the same individual, each NIR) was flagged
            // entering droits et devoirs.
            var enteredByPerson: [Int64: LocalDate] = [:]
            var enteredByNIR: [String: LocalDate] = [:]
            try db.forEach(
                """
                SELECT s.person_id, p.nir13, MAX(s.effective_date) AS day FROM status_change s
                JOIN person p ON p.id = s.person_id
                WHERE s.kind = 'entered-droits-devoirs' AND s.effective_date IS NOT NULL
                GROUP BY s.person_id, p.nir13
                """, []
            ) { row in
                guard let text: String = row["day"], let day = LocalDate(iso: text) else { return }
                enteredByPerson[row["person_id"]] = day
                if let nir: String = row["nir13"] { enteredByNIR[nir] = max(enteredByNIR[nir] ?? day, day) }
            }
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
            let (enteredByNIRs, enteredByPeople) = (enteredByNIR, enteredByPerson)
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
                    guard case .accompaniment(let accompaniment)? = GatewayStore.record("accompaniment", item.state)
                    else {
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
                        enteredDroitsDevoirs: item.nir13.flatMap { enteredByNIRs[$0] }
                            ?? item.personID.flatMap { enteredByPeople[$0] },
                        cvs: item.personID.flatMap { cvs[$0] } ?? [:])
                }
            }
            cases = decoded.compactMap { $0 }
            return cases
        }
    }
}

extension GatewayStore {
    /// A stored record: its canonical fields (JSON) read back through the builder of its entity.
    static func record(_ entity: String, _ state: String) -> PartnerRecord? {
        CanonicalFields(jsonText: state).flatMap { PartnerRecord(entity: entity, canonical: $0) }
    }

    /// The latest CV deposit of each matched person on each platform (the partner that sent it, by the file that
    /// brought it), read once for a whole report.
    static func latestCVDeposits(_ db: any StoreConnection) throws -> [Int64: [String: CVDeposit]] {
        var deposits: [Int64: [String: CVDeposit]] = [:]
        try db.forEach(
            """
            SELECT person_id, partner, state FROM partner_record WHERE entity = 'cv-deposit' AND person_id IS NOT NULL
            ORDER BY last_file_id, id
            """, []
        ) { row in
            if case .cvDeposit(let deposit)? = record("cv-deposit", row["state"]) {
                deposits[row["person_id"], default: [:]][row["partner"]] = deposit
            }
        }
        return deposits
    }
}
