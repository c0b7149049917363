import Foundation
import GatewayCore

/// What a purge removed or made anonymous.
public struct PurgeCounts: Sendable, Codable, Equatable {
    /// Accompaniments ended before the date whose person identity was replaced by a placeholder (their dates,
    /// fiche, structure, exit, CER and meetings stay: the indicators count them).
    public var accompanimentsAnonymised = 0
    /// CNAF person rows whose identifiers, names and birth date were erased.
    public var peopleErased = 0
    /// Households whose matricule, address and stated content were erased (right state and history kept).
    public var householdsErased = 0
    /// Enrolments, CV deposits and feedback about erased or unmatched people, deleted.
    public var partnerRecordsDeleted = 0
    /// Identifiers learnt from partners, deleted with their person.
    public var identifiersDeleted = 0
    /// Raw quarantined records emptied (their masked issues stay).
    public var quarantineEmptied = 0
    /// Refused files kept aside, deleted from disk.
    public var keptFilesDeleted = 0
}

extension GatewayStore {
    /// The placeholder identity of an anonymised accompaniment: the record builder needs one, and it names nobody.
    static let purgedIdentity: [String: String] = [
        "person.surname": "PURGE", "person.firstName": "ACCOMPAGNEMENT", "person.birthDate": "1900-01-01",
    ]

    /// Removes the personal data past retention, in one transaction, keeping what the indicators count.
    ///
    /// - an accompaniment whose last day is before `before` keeps its dates, fiche, structure, référent, CER,
    ///   exit, reorientation and meetings, and its link to the household's right state (the « sortie liée à
    ///   l'emploi » rate reads it); its person identity, mobility and target job are replaced or dropped;
    /// - a person whose household was last stated before `before` (CNAF reference date) and who has no
    ///   accompaniment left to keep has their NIR, names, birth date and France Travail id erased; their
    ///   enrolments, CV deposits, feedback and learnt identifiers are deleted;
    /// - a household all of whose people are erased loses its matricule (replaced by `P<id>`), address and stated
    ///   content; its right state and status changes (no personal data) stay;
    /// - partner records matched to nobody, from files received before `before`, are deleted;
    /// - raw quarantined records of files received before `before` are emptied, and refused files kept aside deleted.
    public func purge(before: LocalDate, dryRun: Bool = false) throws -> PurgeCounts {
        var counts = PurgeCounts()
        var keptFiles: [String] = []
        try database.write { db in
            // 1. Accompaniments ended before the date: anonymised in place.
            var keptPeople = Set<Int64>()
            var accompaniedPeople = Set<Int64>()
            let rows = try db.fetchAll("SELECT id, person_id, state FROM partner_record WHERE entity = 'accompaniment'")
            for row in rows {
                let personID: Int64? = row["person_id"]
                if let personID { accompaniedPeople.insert(personID) }
                guard var fields = CanonicalFields(jsonText: row["state"]),
                    case .accompaniment(let accompaniment)? = PartnerRecord(entity: "accompaniment", canonical: fields)
                else { continue }
                guard let last = accompaniment.closingDate, last < before else {
                    if let personID { keptPeople.insert(personID) }
                    continue
                }
                if fields["person.surname"] == Self.purgedIdentity["person.surname"]
                    && fields["person.nir"] == nil
                {
                    continue
                }
                for name in fields.values.keys where name.hasPrefix("person.") { fields.values[name] = nil }
                for name in ["mobility", "targetROME"] { fields.values[name] = nil }
                fields.values.merge(Self.purgedIdentity) { _, new in new }
                try db.execute(
                    "UPDATE partner_record SET state = ?, matched_by = 'purged' WHERE id = ?",
                    [fields.jsonText, row["id"] as Int64])
                counts.accompanimentsAnonymised += 1
            }
            // People are one individual across household rows (same NIR): keep them all if one is kept.
            let keptNIRs: Set<String> = Set(
                try db.fetchColumn(
                    "SELECT nir13 FROM person WHERE nir13 IS NOT NULL AND id IN (\(Self.list(keptPeople)))"))
            // 2. People of households last stated before the date, with nothing left to keep.
            let candidates = try db.fetchAll(
                """
                SELECT p.id, p.nir13 FROM person p JOIN household h ON h.id = p.household_id
                JOIN received_file f ON f.id = h.last_file_id
                WHERE COALESCE(h.last_reference_date, substr(f.received_at, 1, 10)) < ?
                AND p.person_key NOT LIKE 'purged-%'
                """, [before.iso]
            ).filter { row in
                let id: Int64 = row["id"]
                let nir: String? = row["nir13"]
                return !keptPeople.contains(id) && !(nir.map(keptNIRs.contains) ?? false)
            }.map { $0["id"] as Int64 }
            let erased = Self.list(Set(candidates))
            counts.partnerRecordsDeleted += try db.execute(
                """
                DELETE FROM partner_record WHERE person_id IN (\(erased))
                AND entity IN ('enrolment', 'cv-deposit', 'sourcing-feedback')
                """)
            counts.identifiersDeleted = try db.execute("DELETE FROM person_identifier WHERE person_id IN (\(erased))")
            // The households' records as received hold their names and addresses: gone with the people.
            try db.execute(
                """
                DELETE FROM household_source WHERE household_id IN (
                SELECT household_id FROM person WHERE id IN (\(erased)))
                """)
            counts.peopleErased = try db.execute(
                """
                UPDATE person SET nir13 = NULL, nir_key = NULL, civility = NULL, surname = '', birth_name = NULL,
                first_name = '', birth_date = NULL, france_travail_id = NULL, person_key = 'purged-' || id
                WHERE id IN (\(erased))
                """)
            _ = accompaniedPeople
            // 3. Households whose every person is erased.
            counts.householdsErased = try db.execute(
                """
                UPDATE household SET matricule = 'P' || id, organisme_number = NULL, rsa_request_number = NULL,
                street_number = NULL, street_type = NULL, street_name = NULL, address_complement = NULL,
                locality = NULL, postal_code = NULL, state = '{}'
                WHERE matricule NOT LIKE 'P%' AND id IN (SELECT household_id FROM person)
                AND NOT EXISTS (SELECT 1 FROM person p WHERE p.household_id = household.id
                    AND p.person_key NOT LIKE 'purged-%')
                """)
            // 4. Partner records about nobody known, from files received before the date.
            counts.partnerRecordsDeleted += try db.execute(
                """
                DELETE FROM partner_record WHERE person_id IS NULL
                AND entity IN ('enrolment', 'cv-deposit', 'sourcing-feedback')
                AND last_file_id IN (SELECT id FROM received_file WHERE substr(received_at, 1, 10) < ?)
                """, [before.iso])
            // 5. Raw quarantined records and refused files kept aside.
            counts.quarantineEmptied = try db.execute(
                """
                UPDATE quarantine SET raw = '' WHERE raw <> ''
                AND file_id IN (SELECT id FROM received_file WHERE substr(received_at, 1, 10) < ?)
                """, [before.iso])
            keptFiles = try db.fetchColumn(
                """
                SELECT kept_path FROM received_file WHERE kept_path IS NOT NULL
                AND substr(received_at, 1, 10) < ?
                """, [before.iso])
            try db.execute(
                """
                UPDATE received_file SET kept_path = NULL WHERE kept_path IS NOT NULL
                AND substr(received_at, 1, 10) < ?
                """, [before.iso])
            if dryRun { throw DryRun(counts: counts) }
        }
        for path in keptFiles where FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
            counts.keptFilesDeleted += 1
        }
        return counts
    }

    /// A purge's counts without applying it (the transaction is rolled back).
    public func purgePreview(before: LocalDate) throws -> PurgeCounts {
        do {
            return try purge(before: before, dryRun: true)
        } catch let preview as DryRun {
            return preview.counts
        }
    }

    struct DryRun: Error {
        var counts: PurgeCounts
    }

    static func list(_ ids: Set<Int64>) -> String {
        ids.isEmpty ? "NULL" : ids.sorted().map(String.init).joined(separator: ",")
    }

}

extension GatewayStore {
    /// Everything the store holds about one person (right of access), unmasked, as JSON: their person rows, the
    /// households they were stated in (address, right, status changes, CNAF events), every partner record linked
    /// to them (canonical content), the identifiers learnt from partners, the proposals made for them, the files
    /// these came from, and the audit log's accesses to them. Nil when nobody has this number.
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
            let people = Self.list(Set(rowIDs))
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
                "people": try rows("SELECT * FROM person WHERE id IN (\(people)) ORDER BY id"),
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
                    UNION SELECT last_file_id FROM person WHERE id IN (\(people))
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
