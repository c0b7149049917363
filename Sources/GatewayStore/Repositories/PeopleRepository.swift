import Foundation
import GatewayCore

/// A status change of a person's household (or of the person), with the file that brought it.
public struct PersonStatusChange: Sendable, Equatable {
    public var change: StoredStatusChange
    public var fileID: Int64
    public var file: String
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

/// Households and people: finding a person by an identifier, one person across partners, the status changes a
/// file recorded, and everything held about a person (right of access).
public protocol PeopleRepository: Sendable {
    /// The people an identifier names: a person number, a NIR, a France Travail id, `ORGANISME:matricule`, or a
    /// masked one as reports write it (`NIR 293**********`, `****412`: every person it may stand for).
    func findPeople(_ identifier: String) throws -> [Int64]
    /// One person across partners: the CNAF facts of every household row of the same individual, then every
    /// partner record linked to them, each with its partner and file.
    func person(_ id: Int64) throws -> PersonView?
    /// The status changes recorded from one file, in order, for tests and alerts.
    func statusChanges(fileID: Int64) throws -> [StoredStatusChange]
    /// The status changes of every household a person was stated in (same person number or NIR): the household's
    /// own and the person's, oldest first.
    func statusChanges(personID: Int64) throws -> [PersonStatusChange]
    /// Everything the store holds about one person (right of access), unmasked, as JSON: their person rows, the
    /// households they were stated in (address, right, status changes, CNAF events), every partner record linked
    /// to them (canonical content), the identifiers learnt from partners, the proposals made for them, the files
    /// these came from, and the audit log's accesses to them. Nil when nobody has this number.
    func personExport(_ id: Int64) throws -> Data?
}

/// Households and people in SQL, over the store's database.
public struct SQLPeopleRepository: PeopleRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

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
            if text.contains("*") { return try Self.maskedMatches(db, text) }
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

    /// The people a masked identifier, as reports and notices write it, may stand for (50 at most): a NIR's first
    /// three characters (`NIR 293**********`), or an identifier's last ones (`****412`: a France Travail id or a
    /// matricule).
    static func maskedMatches(_ db: any StoreConnection, _ text: String) throws -> [Int64] {
        var masked = Substring(text)
        if masked.hasPrefix("NIR ") { masked = masked.dropFirst(4) }
        let kept = masked.filter { $0.isLetter || $0.isNumber || $0 == "*" }
        let stars = kept.filter { $0 == "*" }.count
        let prefix = String(kept.prefix { $0 != "*" })
        let suffix = String(kept.reversed().prefix { $0 != "*" }.reversed())
        if !prefix.isEmpty, stars > 0, (13...15).contains(kept.count) {
            return try db.fetchColumn(
                "SELECT MAX(id) FROM person WHERE nir13 LIKE ? GROUP BY nir13 ORDER BY 1 LIMIT 50", [prefix + "%"])
        }
        guard prefix.isEmpty, !suffix.isEmpty, stars > 0 else { return [] }
        return try db.fetchColumn(
            """
            SELECT DISTINCT id FROM (SELECT id FROM person
            WHERE france_travail_id LIKE ? AND length(france_travail_id) = ?
            UNION SELECT p.id FROM person p JOIN household h ON h.id = p.household_id
            WHERE h.matricule LIKE ? AND length(h.matricule) = ?) AS ids ORDER BY id LIMIT 50
            """, ["%" + suffix, kept.count, "%" + suffix, kept.count])
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
                JOIN household h ON h.id = p.household_id
                JOIN received_file f ON f.id = \(Self.lastListed)
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
                guard let record = GatewayStore.record(row["entity"], row["state"]) else { continue }
                var detail = record.fields.values
                for name in detail.keys where name.hasPrefix("person.") { detail[name] = nil }
                facts.append(
                    PersonFact(
                        partner: row["partner"], flow: row["flow"], file: row["name"], fileID: row["file_id"],
                        kind: row["entity"], matchedBy: row["matched_by"], detail: detail))
            }
            let anomalies = try GatewayStore.anomalies(
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

    public func statusChanges(personID: Int64) throws -> [PersonStatusChange] {
        try database.read { db in
            try db.fetchAll(
                """
                SELECT h.organisme, h.matricule, p.role, s.kind, s.effective_date, s.before_value, s.after_value,
                s.motive, s.event_code, s.file_id, f.name FROM status_change s JOIN household h ON h.id = s.household_id
                JOIN received_file f ON f.id = s.file_id LEFT JOIN person p ON p.id = s.person_id
                WHERE s.household_id IN (SELECT household_id FROM person WHERE id = ? OR nir13 = (SELECT nir13 FROM
                person WHERE id = ?)) AND (s.person_id IS NULL OR s.person_id = ? OR p.nir13 = (SELECT nir13 FROM
                person WHERE id = ?)) ORDER BY s.id
                """, [personID, personID, personID, personID]
            ).map { row in
                PersonStatusChange(
                    change: StoredStatusChange(
                        organisme: row[0], matricule: row[1], personRole: row[2], kind: row[3], effectiveDate: row[4],
                        before: row[5], after: row[6], motive: row[7], eventCode: row[8]),
                    fileID: row[9], file: row[10])
            }
        }
    }

    /// Everything the store holds about one person (right of access), unmasked, as JSON: their person rows, the
    /// households they were stated in (address, right, status changes, CNAF events), every partner record linked
    /// to them (canonical content), the identifiers learnt from partners, the proposals made for them, the files
    /// these came from, and the audit log's accesses to them. Nil when nobody has this number.
    /// The file that last listed a person row `p` of household `h`: the household's for a present person (a
    /// monthly file leaves an unchanged household's people as they are), the row's own for one who left.
    static let lastListed = "CASE WHEN p.present = 1 THEN h.last_file_id ELSE p.last_file_id END"

    public func personExport(_ id: Int64) throws -> Data? {
        try database.read { db in
            guard
                let nir13 = try db.fetchOne("SELECT nir13 FROM person WHERE id = ?", [id])
                    .map({ $0["nir13"] as String? })
            else { return nil }
            let rowIDs: [Int64] =
                try nir13.map {
                    try db.fetchColumn("SELECT id FROM person WHERE nir13 = ? ORDER BY id", [$0])
                } ?? [id]
            let people = GatewayStore.list(Set(rowIDs))
            func rows(_ sql: String) throws -> [[String: Any]] {
                try db.fetchAll(sql).map { row in
                    var object: [String: Any] = [:]
                    for (column, value) in zip(row.columns, row.values) {
                        switch value {
                        case .null: continue
                        case .integer(let number): object[column] = number
                        case .double(let number): object[column] = number
                        case .text(let text):
                            if column == "state", let data = text.data(using: .utf8),
                                let parsed = try? JSONSerialization.jsonObject(with: data)
                            {
                                object[column] = parsed
                            } else {
                                object[column] = text
                            }
                        case .blob(let data) where column == "packed":
                            // A household's record kept deflated is shown as the text it was received as.
                            object["raw"] = RecordPacker.unpack(data) ?? ""
                        case .blob(let data): object[column] = data.base64EncodedString()
                        }
                    }
                    return object
                }
            }
            let households = "SELECT household_id FROM person WHERE id IN (\(people))"
            let records = "SELECT id FROM partner_record WHERE person_id IN (\(people))"
            let subjects = rowIDs.map { "'person:\($0)'" }.joined(separator: ",")
            let export: [String: Any] = [
                "personID": rowIDs.max() ?? id,
                // The file that last listed each row, as the people view says it (the later column wins).
                "people": try rows(
                    """
                    SELECT p.*, \(Self.lastListed) AS last_file_id FROM person p JOIN household h ON h.id = p.household_id
                    WHERE p.id IN (\(people)) ORDER BY p.id
                    """),
                "households": try rows("SELECT * FROM household WHERE id IN (\(households)) ORDER BY id"),
                "rights": try rows("SELECT * FROM right_status WHERE household_id IN (\(households))"),
                "statusChanges": try rows(
                    "SELECT * FROM status_change WHERE household_id IN (\(households)) ORDER BY id"),
                "cnafEvents": try rows("SELECT * FROM cnaf_event WHERE household_id IN (\(households))"),
                "cnafRecords": try rows(
                    "SELECT household_id, file_id, raw, packed FROM household_source WHERE household_id IN (\(households))"
                ),
                "partnerRecords": try rows(
                    "SELECT * FROM partner_record WHERE person_id IN (\(people)) ORDER BY last_file_id, id"),
                "identifiers": try rows("SELECT * FROM person_identifier WHERE person_id IN (\(people))"),
                "proposals": try rows("SELECT * FROM proposal WHERE person_id IN (\(people)) ORDER BY proposed_at"),
                "files": try rows(
                    """
                    SELECT id, partner, flow, name, received_at, reference_date FROM received_file WHERE id IN (
                    SELECT first_file_id FROM person WHERE id IN (\(people))
                    UNION SELECT \(Self.lastListed) FROM person p JOIN household h ON h.id = p.household_id
                    WHERE p.id IN (\(people))
                    UNION SELECT file_id FROM status_change WHERE household_id IN (\(households))
                    UNION SELECT first_file_id FROM partner_record WHERE id IN (\(records))
                    UNION SELECT last_file_id FROM partner_record WHERE id IN (\(records))) ORDER BY id
                    """),
                "accesses": try rows("SELECT * FROM audit_log WHERE subject IN (\(subjects)) ORDER BY id"),
            ]
            return try JSONSerialization.data(withJSONObject: export, options: [.prettyPrinted, .sortedKeys])
        }
    }
}
