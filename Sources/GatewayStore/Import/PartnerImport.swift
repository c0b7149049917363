import Foundation
import GatewayCore

/// How a partner record's person was found.
public enum MatchVia: String, Sendable, Codable {
    case nir
    case matricule
    case franceTravail = "france-travail"
    case name
}

/// The result of the matching cascade.
public enum IdentityMatch: Sendable, Equatable {
    /// One person, found by the first identifier of the cascade that names someone.
    case matched(personID: Int64, via: MatchVia)
    /// Nobody known: the record is kept, unlinked.
    case unmatched
    /// Two identifiers name different people (or one names several): nothing is merged.
    case conflict(String)
}

/// What applying a partner record did.
public enum PartnerApplyOutcome: Sendable, Equatable {
    case accepted(IdentityMatch)
    /// The same record, with the same content, is already stored from this file.
    case duplicate
    /// The same business key came earlier in this file with other content.
    case conflict
    /// The matching cascade found two people: refused, named by masked ids.
    case identityConflict(String)
    /// A feedback about a proposal the gateway never sent.
    case unknownProposal
}

/// One person as the store knows them: their rows (a person appears once per household they were in).
struct KnownPerson {
    var rowIDs: [Int64]
    var nir13: String?
    var franceTravailKey: String?

    /// The same individual: same NIR when both have one, else the same rows.
    var identity: String { nir13.map { "NIR:" + $0 } ?? "ROW:" + (rowIDs.first.map(String.init) ?? "") }

    var label: String {
        if let nir13 { return "personne n° \(rowIDs.max() ?? 0) (NIR \(Masking.nir(nir13)))" }
        return "personne n° \(rowIDs.max() ?? 0)"
    }
}

extension ImportSession {
    /// The matching cascade: NIR (13 first chars) → (organisme, matricule, role) → France Travail id → normalised
    /// surname, first name and birth date. The first level that names someone decides; every stronger identifier
    /// the record carries must agree with that person, or the record is refused as a conflict.
    public func match(_ identity: PersonIdentity) throws -> IdentityMatch {
        var found: [(MatchVia, KnownPerson)] = []
        func level(_ via: MatchVia, _ people: [KnownPerson]) -> String? {
            guard !people.isEmpty else { return nil }
            let identities = Set(people.map(\.identity))
            if identities.count > 1 {
                return
                    "L'identifiant \(via.rawValue) désigne plusieurs personnes (\(people.map(\.label).joined(separator: ", ")))."
            }
            found.append((via, people[0]))
            return nil
        }
        if let nir = identity.nir, let problem = level(.nir, try people(nir13: nir.base13)) {
            return .conflict(problem)
        }
        if let matricule = identity.matricule, let role = identity.role,
            let problem = level(
                .matricule,
                try people(organisme: identity.organisme ?? .caf, matricule: matricule.canonical, role: role))
        {
            return .conflict(problem)
        }
        if let id = identity.franceTravailID, let problem = level(.franceTravail, try people(franceTravail: id)) {
            return .conflict(problem)
        }
        if found.isEmpty, let surname = identity.surname, let firstName = identity.firstName,
            let birthDate = identity.birthDate,
            let problem = level(.name, try people(surname: surname, firstName: firstName, birthDate: birthDate))
        {
            return .conflict(problem)
        }
        guard let (via, person) = found.first else { return .unmatched }
        for (otherVia, other) in found.dropFirst() where other.identity != person.identity {
            return .conflict(
                "Le \(via.rawValue) désigne \(person.label) mais le \(otherVia.rawValue) désigne \(other.label) : rien n'est fusionné."
            )
        }
        if let nir = identity.nir, let known = person.nir13, known != nir.base13 {
            return .conflict(
                "L'identifiant \(via.rawValue) désigne \(person.label), dont le NIR diffère de celui de la ligne (\(nir.masked))."
            )
        }
        if let id = identity.franceTravailID, let known = person.franceTravailKey, known != id.matchingKey {
            return .conflict(
                "L'identifiant \(via.rawValue) désigne \(person.label), connu de France Travail sous un autre identifiant (\(Masking.identifier(known))) que celui de la ligne (\(id.masked))."
            )
        }
        return .matched(personID: person.rowIDs.max() ?? 0, via: via)
    }

    private func known(_ rows: [SQLRow]) -> [KnownPerson] {
        // Rows of one individual (same NIR) are grouped; rows without NIR stay apart.
        var byIdentity: [String: KnownPerson] = [:]
        var order: [String] = []
        for row in rows {
            let id: Int64 = row["id"]
            let nir13: String? = row["nir13"]
            let ft: String? = row["france_travail_id"]
            let key = nir13.map { "NIR:" + $0 } ?? "ROW:\(id)"
            if byIdentity[key] == nil {
                order.append(key)
                byIdentity[key] = KnownPerson(rowIDs: [], nir13: nir13, franceTravailKey: nil)
            }
            byIdentity[key]!.rowIDs.append(id)
            if let ft, let parsed = try? FranceTravailID(validating: ft) {
                byIdentity[key]!.franceTravailKey = parsed.matchingKey
            }
        }
        return order.compactMap { byIdentity[$0] }
    }

    private func people(nir13: String) throws -> [KnownPerson] {
        known(
            try db.fetchAll(
                """
                SELECT id, nir13, france_travail_id FROM person WHERE nir13 = ?
                UNION SELECT p.id, p.nir13, p.france_travail_id FROM person_identifier i
                JOIN person p ON p.id = i.person_id WHERE i.kind = 'nir13' AND i.value = ?
                ORDER BY id
                """, [nir13, nir13]))
    }

    private func people(organisme: Organisme, matricule: String, role: PersonRole) throws -> [KnownPerson] {
        known(
            try db.fetchAll(
                """
                SELECT p.id, p.nir13, p.france_travail_id FROM person p JOIN household h ON h.id = p.household_id
                WHERE h.organisme = ? AND h.matricule = ? AND p.role = ? AND p.present = 1 ORDER BY p.id
                """, [organisme.rawValue, matricule, role.rawValue]))
    }

    private func people(franceTravail id: FranceTravailID) throws -> [KnownPerson] {
        // CNAF files carry the 8-character form; partners may send the 11-character one.
        let key = id.matchingKey
        return known(
            try db.fetchAll(
                """
                SELECT id, nir13, france_travail_id FROM person WHERE substr(france_travail_id, 1, 8) = ?
                UNION SELECT p.id, p.nir13, p.france_travail_id FROM person_identifier i
                JOIN person p ON p.id = i.person_id WHERE i.kind = 'france-travail' AND i.value = ?
                ORDER BY id
                """, [key, key]))
    }

    private func people(surname: String, firstName: String, birthDate: LocalDate) throws -> [KnownPerson] {
        let rows = try db.fetchAll(
            "SELECT id, nir13, france_travail_id, surname, birth_name, first_name FROM person WHERE birth_date = ?",
            [birthDate.iso])
        let wantedSurname = NameNormalisation.key(surname)
        let wantedFirst = NameNormalisation.key(firstName)
        return known(
            rows.filter { row in
                let names = [row["surname"] as String?, row["birth_name"] as String?].compactMap { $0 }
                return NameNormalisation.key(row["first_name"] as String? ?? "") == wantedFirst
                    && names.contains { NameNormalisation.key($0) == wantedSurname }
            })
    }

    /// Upserts a partner record on its business key, after matching its person; learns the identifiers the
    /// record adds (a France Travail id for a person known by NIR) with their source.
    public func applyPartner(_ record: PartnerRecord, partner: String) throws -> PartnerApplyOutcome {
        counts.records += 1
        lastHousehold = nil
        lastPartnerRecord = nil
        let entity = record.entityName
        let key = record.businessKey
        // The canonical fields as compact JSON: what a mapping reads back into the same record.
        let state = record.fields.jsonText
        let existing = try db.fetchOne(
            "SELECT id, last_file_id, state FROM partner_record WHERE entity = ? AND business_key = ?", [entity, key])
        if let existing, (existing["last_file_id"] as Int64) == fileID {
            if (existing["state"] as String) == state {
                counts.duplicates += 1
                return .duplicate
            }
            counts.records -= 1  // counted again by quarantine()
            return .conflict
        }
        if case .sourcingFeedback(let feedback) = record {
            let proposal = try db.fetchOne(
                "SELECT person_id FROM proposal WHERE id = ? AND post_id = ?", [feedback.proposalID, feedback.postID])
            guard proposal != nil else {
                counts.records -= 1
                return .unknownProposal
            }
            try db.execute(
                "UPDATE proposal SET outcome = ? WHERE id = ?", [feedback.outcome.rawValue, feedback.proposalID])
        }
        var match = IdentityMatch.unmatched
        if let identity = record.person {
            match = try self.match(identity)
            if case .conflict(let message) = match {
                counts.records -= 1
                return .identityConflict(message)
            }
        }
        var personID: Int64?
        var via: String?
        if case .matched(let id, let how) = match {
            personID = id
            via = how.rawValue
            try learn(record.person, personID: id, partner: partner)
        } else if record.person != nil {
            counts.unmatched += 1
        }
        if let existing {
            try db.execute(
                """
                UPDATE partner_record SET partner = ?, scope = ?, person_id = ?, matched_by = ?, state = ?,
                last_file_id = ? WHERE id = ?
                """,
                [partner, record.scope, personID, via, state, fileID, existing["id"] as Int64])
        } else {
            try db.execute(
                """
                INSERT INTO partner_record (entity, business_key, partner, scope, person_id, matched_by, state,
                first_file_id, last_file_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [entity, key, partner, record.scope, personID, via, state, fileID, fileID])
        }
        counts.accepted += 1
        lastPartnerRecord = (entity, key)
        return .accepted(match)
    }

    /// Keeps the identifiers a matched record adds to what the CNAF files say of the person.
    private func learn(_ identity: PersonIdentity?, personID: Int64, partner: String) throws {
        guard let identity else { return }
        var learnt: [(String, String)] = []
        if let id = identity.franceTravailID { learnt.append(("france-travail", id.matchingKey)) }
        if let nir = identity.nir { learnt.append(("nir13", nir.base13)) }
        for (kind, value) in learnt {
            try db.execute(
                """
                INSERT INTO person_identifier (person_id, kind, value, partner, file_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """,
                [personID, kind, value, partner, fileID])
        }
    }
}

extension PartnerRecord {

    /// The catalogue's name of the record's entity.
    public var entityName: String {
        switch self {
        case .enrolment: Catalogue.enrolment.name
        case .cvDeposit: Catalogue.cvDeposit.name
        case .jobPost: Catalogue.jobPost.name
        case .accompaniment: Catalogue.accompaniment.name
        case .sourcingFeedback: Catalogue.sourcingFeedback.name
        }
    }

    /// What the record belongs to, for selections: the operator of an accompaniment, the département of a post,
    /// the post of a feedback.
    public var scope: String? {
        switch self {
        case .accompaniment(let value): value.operatorCode
        case .jobPost(let value): value.territory
        case .sourcingFeedback(let value): value.postID
        case .enrolment, .cvDeposit: nil
        }
    }
}
