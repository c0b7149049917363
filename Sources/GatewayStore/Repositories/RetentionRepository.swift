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

/// The purge of personal data past retention (and its preview), keeping what the indicators count.
public protocol RetentionRepository: Sendable {
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
    func purge(before: LocalDate, dryRun: Bool) throws -> PurgeCounts
    /// A purge's counts without applying it (the transaction is rolled back).
    func purgePreview(before: LocalDate) throws -> PurgeCounts
}

extension RetentionRepository {
    // The requirements with their usual arguments left out.
    public func purge(before: LocalDate, dryRun: Bool = false) throws -> PurgeCounts {
        try purge(before: before, dryRun: dryRun)
    }
}

/// The purge in SQL, over the store's database.
public struct SQLRetentionRepository: RetentionRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

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
    public func purge(before: LocalDate, dryRun: Bool) throws -> PurgeCounts {
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
                if fields["person.surname"] == GatewayStore.purgedIdentity["person.surname"]
                    && fields["person.nir"] == nil
                {
                    continue
                }
                for name in fields.values.keys where name.hasPrefix("person.") { fields.values[name] = nil }
                for name in ["mobility", "targetROME"] { fields.values[name] = nil }
                fields.values.merge(GatewayStore.purgedIdentity) { _, new in new }
                try db.execute(
                    "UPDATE partner_record SET state = ?, matched_by = 'purged' WHERE id = ?",
                    [fields.jsonText, row["id"] as Int64])
                counts.accompanimentsAnonymised += 1
            }
            // People are one individual across household rows (same NIR): keep them all if one is kept.
            let keptNIRs: Set<String> = Set(
                try db.fetchColumn(
                    "SELECT nir13 FROM person WHERE nir13 IS NOT NULL AND id IN (\(GatewayStore.list(keptPeople)))"))
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
            let erased = GatewayStore.list(Set(candidates))
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
}

extension GatewayStore {
    /// The placeholder identity of an anonymised accompaniment: the record builder needs one, and it names nobody.
    static let purgedIdentity: [String: String] = [
        "person.surname": "PURGE", "person.firstName": "ACCOMPAGNEMENT", "person.birthDate": "1900-01-01",
    ]

    static func list(_ ids: Set<Int64>) -> String {
        ids.isEmpty ? "NULL" : ids.sorted().map(String.init).joined(separator: ",")
    }

}
