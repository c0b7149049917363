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

/// A person row as the matching reads it.
struct PersonRow {
    var id: Int64
    var nir13: String?
    var franceTravailID: String?
    var surname: String?
    var birthName: String?
    var firstName: String?

    init(_ row: SQLRow) {
        id = row["id"]
        nir13 = row["nir13"]
        franceTravailID = row["france_travail_id"]
        // The names, when the query read them (the lookups by birth date).
        let named = row.columns.contains("surname")
        surname = named ? row["surname"] : nil
        birthName = named ? row["birth_name"] : nil
        firstName = named ? row["first_name"] : nil
    }
}

/// What a block of partner records needs from the store, read before they are applied in a few queries (one per
/// kind of lookup and block) instead of several per record: on PostgreSQL each query is a round trip. A key
/// looked ahead has its entry, empty when the store holds nothing for it; a key that was not falls back to its
/// own query. The writes of the block keep the entries true (a record stored, an identifier learnt).
struct PartnerLookahead {
    /// By entity and business key: the file that last stored the record and its state; nil when absent.
    var records: [String: (lastFileID: Int64, state: String)?] = [:]
    var byNIR: [String: [PersonRow]] = [:]
    var byFranceTravail: [String: [PersonRow]] = [:]
    /// By organisme, matricule and role (people present in their household).
    var byMatricule: [MatriculeKey: [PersonRow]] = [:]
    var byBirthDate: [String: [PersonRow]] = [:]
    /// Every person row read ahead, by id.
    var people: [Int64: PersonRow] = [:]

    static func recordKey(_ entity: String, _ key: String) -> String { entity + "\u{1F}" + key }
}

/// A household's person by organisme, matricule and role.
struct MatriculeKey: Hashable {
    var organisme: String
    var matricule: String
    var role: String

    init(_ organisme: String, _ matricule: String, _ role: String) {
        (self.organisme, self.matricule, self.role) = (organisme, matricule, role)
    }
}

extension ImportSession {
    /// Reads ahead what `records` need (at most 500 keys a query): their stored versions, and the people their
    /// identifiers name. Replaces what was read ahead before.
    public func lookAhead(_ records: [PartnerRecord]) throws {
        lookahead = PartnerLookahead()
        var keysByEntity: [String: Set<String>] = [:]
        var nirs = Set<String>()
        var franceTravail = Set<String>()
        var matricules = Set<MatriculeKey>()
        var birthDates = Set<String>()
        for record in records {
            keysByEntity[record.entityName, default: []].insert(record.businessKey)
            guard let identity = record.person else { continue }
            if let nir = identity.nir { nirs.insert(nir.base13) }
            if let id = identity.franceTravailID { franceTravail.insert(id.matchingKey) }
            if let matricule = identity.matricule, let role = identity.role {
                matricules.insert(
                    MatriculeKey((identity.organisme ?? .caf).rawValue, matricule.canonical, role.rawValue))
            }
            if identity.surname != nil, identity.firstName != nil, let date = identity.birthDate {
                birthDates.insert(date.iso)
            }
        }
        for (entity, keys) in keysByEntity { try readRecords(entity: entity, keys) }
        try readPeople(nirs, into: \.byNIR)
        try readPeople(franceTravail, into: \.byFranceTravail)
        try readPeople(matricules)
        try readPeople(bornOn: birthDates)
    }

    /// The stored versions of records of `entity`: every key gets its entry, nil when the store has none.
    private func readRecords(entity: String, _ keys: Set<String>) throws {
        for chunk in Self.chunks(keys) {
            for key in chunk { lookahead.records[PartnerLookahead.recordKey(entity, key)] = .some(nil) }
            for row in try probe(
                "business_key, last_file_id, state", from: "partner_record", where: "entity = ?", [entity],
                key: "business_key", values: chunk)
            {
                lookahead.records[PartnerLookahead.recordKey(entity, row["business_key"])] = (
                    row["last_file_id"], row["state"]
                )
            }
        }
    }

    /// The people NIRs (`byNIR`) or France Travail ids (`byFranceTravail`, their 8 first characters) name,
    /// directly and through the identifiers learnt from partners: every value gets its entry, rows in id order,
    /// each once.
    private func readPeople(
        _ values: Set<String>, into index: WritableKeyPath<PartnerLookahead, [String: [PersonRow]]>
    ) throws {
        let nir = index == \PartnerLookahead.byNIR
        let column = nir ? "p.nir13" : "substr(p.france_travail_id, 1, 8)"
        let kind = nir ? "nir13" : "france-travail"
        let columns = "p.id, p.nir13, p.france_travail_id"
        for chunk in Self.chunks(values) {
            for value in chunk { lookahead[keyPath: index][value] = [] }
            let direct = try probe(
                "\(column) AS k, \(columns)", from: "person p", key: column, values: chunk, unique: false)
            let learnt = try probe(
                "i.value AS k, \(columns)", from: "person_identifier i JOIN person p ON p.id = i.person_id",
                where: "i.kind = '\(kind)'", key: "i.value", values: chunk, unique: false)
            for row in direct + learnt {
                let person = PersonRow(row)
                let key: String = row["k"]
                lookahead.people[person.id] = lookahead.people[person.id] ?? person
                if !(lookahead[keyPath: index][key]?.contains { $0.id == person.id } ?? false) {
                    lookahead[keyPath: index][key, default: []].append(person)
                }
            }
            for value in chunk { lookahead[keyPath: index][value]?.sort { $0.id < $1.id } }
        }
    }

    /// The people present in the households of these (organisme, matricule) with these roles: every key gets its
    /// entry, empty when nobody; rows in id order.
    private func readPeople(_ keys: Set<MatriculeKey>) throws {
        for key in keys { lookahead.byMatricule[key] = [] }
        for organisme in Set(keys.map(\.organisme)) {
            for chunk in Self.chunks(Set(keys.filter { $0.organisme == organisme }.map(\.matricule))) {
                for row in try probe(
                    "h.organisme, h.matricule, p.role, p.id, p.nir13, p.france_travail_id",
                    from: "household h JOIN person p ON p.household_id = h.id AND p.present = 1",
                    where: "h.organisme = ?", [organisme], key: "h.matricule", values: chunk, unique: false)
                {
                    let key = MatriculeKey(row["organisme"], row["matricule"], row["role"])
                    guard keys.contains(key) else { continue }
                    let person = PersonRow(row)
                    lookahead.people[person.id] = person
                    lookahead.byMatricule[key, default: []].append(person)
                }
            }
        }
        for key in keys { lookahead.byMatricule[key]?.sort { $0.id < $1.id } }
    }

    /// The people born on these days, with their names (the last level of the cascade); rows in id order.
    private func readPeople(bornOn days: Set<String>) throws {
        for chunk in Self.chunks(days) {
            for day in chunk { lookahead.byBirthDate[day] = [] }
            for row in try probe(
                "birth_date, id, nir13, france_travail_id, surname, birth_name, first_name", from: "person",
                key: "birth_date", values: chunk, unique: false)
            {
                let person = PersonRow(row)
                lookahead.people[person.id] = lookahead.people[person.id] ?? person
                lookahead.byBirthDate[row["birth_date"], default: []].append(person)
            }
            for day in chunk { lookahead.byBirthDate[day]?.sort { $0.id < $1.id } }
        }
    }

    /// `values` in order, 500 at a time: the most keys one query of the import binds.
    static func chunks<Value: Comparable>(_ values: some Collection<Value>) -> [[Value]] {
        let sorted = values.sorted()
        return stride(from: 0, to: sorted.count, by: 500).map { Array(sorted[$0..<min($0 + 500, sorted.count)]) }
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

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

    private func known(_ rows: [PersonRow]) -> [KnownPerson] {
        // Rows of one individual (same NIR) are grouped; rows without NIR stay apart.
        var byIdentity: [String: KnownPerson] = [:]
        var order: [String] = []
        for row in rows {
            let (id, nir13, ft) = (row.id, row.nir13, row.franceTravailID)
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

    // Each lookup reads what a block read ahead; a value it did not (a replayed or pushed record) is read the
    // same way, alone, and kept for the records after it.

    private func people(nir13: String) throws -> [KnownPerson] {
        if lookahead.byNIR[nir13] == nil { try readPeople([nir13], into: \.byNIR) }
        return known(lookahead.byNIR[nir13] ?? [])
    }

    private func people(organisme: Organisme, matricule: String, role: PersonRole) throws -> [KnownPerson] {
        let key = MatriculeKey(organisme.rawValue, matricule, role.rawValue)
        if lookahead.byMatricule[key] == nil { try readPeople([key]) }
        return known(lookahead.byMatricule[key] ?? [])
    }

    private func people(franceTravail id: FranceTravailID) throws -> [KnownPerson] {
        // CNAF files carry the 8-character form; partners may send the 11-character one.
        let key = id.matchingKey
        if lookahead.byFranceTravail[key] == nil { try readPeople([key], into: \.byFranceTravail) }
        return known(lookahead.byFranceTravail[key] ?? [])
    }

    private func people(surname: String, firstName: String, birthDate: LocalDate) throws -> [KnownPerson] {
        if lookahead.byBirthDate[birthDate.iso] == nil { try readPeople(bornOn: [birthDate.iso]) }
        let wantedSurname = NameNormalisation.key(surname)
        let wantedFirst = NameNormalisation.key(firstName)
        return known(
            (lookahead.byBirthDate[birthDate.iso] ?? []).filter { row in
                let names = [row.surname, row.birthName].compactMap { $0 }
                return NameNormalisation.key(row.firstName ?? "") == wantedFirst
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
        let recordKey = PartnerLookahead.recordKey(entity, key)
        if lookahead.records[recordKey] == nil { try readRecords(entity: entity, [key]) }
        let existing = lookahead.records[recordKey] ?? nil
        if let existing, existing.lastFileID == fileID {
            if existing.state == state {
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
        if existing != nil {
            try updatePartnerRecord([partner, record.scope, personID, via, state, fileID, entity, key])
        } else {
            try insertPartnerRecord([entity, key, partner, record.scope, personID, via, state, fileID, fileID])
        }
        lookahead.records[recordKey] = (fileID, state)
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
            try insertIdentifier([personID, kind, value, partner, fileID])
            // What was read ahead for this value names this person now too (or is read again when unknown).
            let index: WritableKeyPath<PartnerLookahead, [String: [PersonRow]]> =
                kind == "nir13" ? \.byNIR : \.byFranceTravail
            guard let rows = lookahead[keyPath: index][value], !rows.contains(where: { $0.id == personID }) else {
                continue
            }
            if let person = lookahead.people[personID] {
                lookahead[keyPath: index][value] = (rows + [person]).sorted { $0.id < $1.id }
            } else {
                lookahead[keyPath: index][value] = nil
            }
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
