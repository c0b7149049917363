import Foundation
import GatewayCore

/// What applying one record did.
public enum ApplyOutcome: Sendable, Equatable {
    /// Stored; `statusChanges` were derived from it.
    case accepted(statusChanges: Int)
    /// The same household, with the same content, already came earlier in this file.
    case duplicate
    /// The same household already came earlier in this file with other content: the record is refused.
    case conflict
    /// The store already holds a more recent state (a later reference date): kept as is.
    case stale
}

/// Applies one file's records inside its transaction. Every statement is prepared once per file.
public final class ImportSession {
    let db: any StoreConnection
    public let fileID: Int64
    public private(set) var referenceDate: LocalDate?
    public internal(set) var counts = ImportCounts()
    /// File-level issues kept in the ledger (reconciliation, schema errors outside records).
    public var fileIssues: [ValidationIssue] = []
    /// A CSV file's header line, kept in the ledger so that its quarantined rows can be read again.
    public var fileHeader: String?
    /// The paying offices (organisme, office number) this file lists, for the monthly absences.
    private var payingOffices = Set<PayingOffice>()

    private struct PayingOffice: Hashable, Comparable {
        var organisme: String
        var number: String

        init(_ household: Household) {
            organisme = household.organisme.rawValue
            number = household.organismeNumber ?? ""
        }

        static func < (lhs: PayingOffice, rhs: PayingOffice) -> Bool {
            (lhs.organisme, lhs.number) < (rhs.organisme, rhs.number)
        }
    }
    private let encoder: JSONEncoder = GatewayStore.encoder
    /// Packs each household's record before it is stored (its buffer kept from one record to the next).
    private let packer = RecordPacker()

    init(db: any StoreConnection, fileID: Int64, referenceDate: LocalDate?) throws {
        self.db = db
        self.fileID = fileID
        self.referenceDate = referenceDate
        prepared = try Prepared.allCases.map {
            Prepared.batched.contains($0) ? try db.prepareBatch(Self.sql($0)) : try db.prepare(Self.sql($0))
        }
    }

    /// The last household and person numbers given, read once per file: a session runs under the "apply" lock
    /// (one file applied at a time across instances), so it numbers the new rows itself, without waiting for the
    /// database to say which number it drew, and without gaps (as SQLite numbers them).
    private var lastHouseholdID: Int64?
    private var lastPersonID: Int64?

    private func nextID(_ last: inout Int64?, table: String) throws -> Int64 {
        let next = try (last ?? db.fetchValue("SELECT COALESCE(MAX(id), 0) FROM \(table)") ?? 0) + 1
        last = next
        return next
    }

    private func nextHouseholdID() throws -> Int64 { try nextID(&lastHouseholdID, table: "household") }
    private func nextPersonID() throws -> Int64 { try nextID(&lastPersonID, table: "person") }

    /// Sets the file's reference date once the header has been read.
    public func setReferenceDate(_ date: LocalDate?) { referenceDate = date }

    /// Upserts a household, its right and its people on their business keys, and records its status changes.
    /// - Parameter repeated: whether the same key came earlier in this file (the reader knows); when not, and
    ///   the store held no household of this organisme when the file began (a first load), there is nothing
    ///   to look up.
    ///   - source: the household's record as received (its whole `InfosFoyerRSA`), kept beside it when it changed.
    public func apply(_ household: Household, repeated: Bool = true, source: [UInt8]? = nil) throws -> ApplyOutcome {
        let outcome = try applyState(household, repeated: repeated)
        if let source, let householdID = lastHousehold {
            switch outcome {
            case .accepted, .duplicate:
                // A new household has no record yet: a plain insert, cheaper than an upsert.
                let statement = self.statement(lastHouseholdIsNew ? .sourceInsert : .sourceUpsert)
                statement.reset()
                statement.bind(householdID)
                statement.bind(fileID)
                source.withUnsafeBytes { bytes in packer.pack(bytes) { statement.bind(blob: $0) } }
                try statement.execute()
            case .conflict, .stale: break
            }
        }
        return outcome
    }

    private func applyState(_ household: Household, repeated: Bool) throws -> ApplyOutcome {
        counts.records += 1
        lastHousehold = nil
        lastHouseholdIsNew = false
        lastPartnerRecord = nil
        let state = HouseholdState.encode(household)
        let firstLoad = try !repeated && isFirstLoad(of: household.organisme)
        let key = StoredHousehold.key(household)
        var existing: StoredHousehold?
        if !firstLoad {
            if let known = householdsAhead[key] {
                existing = known
            } else {
                existing = try storedHousehold(household)
            }
        }
        var householdID: Int64
        var previous: Household?
        if let existing {
            householdID = existing.id
            lastHousehold = householdID
            let storedState = existing.state
            if existing.lastFileID == fileID {
                if storedState == state {
                    counts.duplicates += 1
                    return .duplicate
                }
                counts.records -= 1  // counted again by quarantine()
                return .conflict
            }
            if let stored = existing.lastReferenceDate, let date = referenceDate,
                let storedDate = LocalDate(iso: stored),
                date < storedDate
            {
                counts.accepted += 1
                return .stale
            }
            if storedState == state {
                // Unchanged: the household and its present people are marked seen in this file, many at a time.
                try markSeen(householdID)
                keepAhead(key, id: householdID, state: state)
                payingOffices.insert(PayingOffice(household))
                counts.accepted += 1
                return .accepted(statusChanges: 0)
            }
            previous = HouseholdState.decode(storedState)
        } else {
            householdID = 0
        }
        householdID = try upsertHousehold(household, state: state, existingID: existing == nil ? nil : householdID)
        lastHousehold = householdID
        lastHouseholdIsNew = existing == nil
        keepAhead(key, id: householdID, state: state)
        try upsertRight(household, householdID: householdID, isNew: existing == nil)
        let personIDs = try upsertPeople(household, householdID: householdID, isNew: existing == nil)
        var knownEvents = Set<CNAFEvent>()
        if existing != nil && !household.events.isEmpty { knownEvents = try storedEvents(householdID) }
        let newEvents = household.events.filter { !knownEvents.contains($0) }
        if !newEvents.isEmpty {
            let values = statement(.eventInsert)
            for event in newEvents {
                values.reset()
                values.bind(householdID)
                values.bind(event.liquidationDate.iso)
                values.bind(event.liquidationTime ?? "")
                values.bind(event.code)
                values.bind(fileID)
                try values.execute()
            }
        }
        let changes = StatusChangeDerivation.changes(
            previous: previous, current: household, referenceDate: referenceDate, knownEvents: knownEvents)
        try insert(changes, householdID: householdID, personIDs: personIDs)
        payingOffices.insert(PayingOffice(household))
        counts.accepted += 1
        counts.statusChanges += changes.count
        return .accepted(statusChanges: changes.count)
    }

    private var firstLoads: [Organisme: Bool] = [:]

    /// Whether the store held no household of `organisme` before this file.
    func isFirstLoad(of organisme: Organisme) throws -> Bool {
        if let known = firstLoads[organisme] { return known }
        let any: Bool =
            try db.fetchValue(
                "SELECT EXISTS (SELECT 1 FROM household WHERE organisme = ? AND last_file_id <> ?)",
                [organisme.rawValue, fileID]) ?? true
        firstLoads[organisme] = !any
        return !any
    }

    /// The household the last `apply` stored or found, for the anomalies that follow it.
    var lastHousehold: Int64?
    /// Whether the last `apply` inserted that household (its right and record are new too).
    private var lastHouseholdIsNew = false
    /// The partner record (entity, business key) the last `applyPartner` stored, for the anomalies that follow it.
    var lastPartnerRecord: (entity: String, key: String)?

    /// Stores the anomalies of the record just applied (`index`), or of the file (`index` nil), values masked.
    public func recordAnomalies(index: Int?, line: Int?, key: String?, issues: [ValidationIssue]) throws {
        guard !issues.isEmpty else { return }
        let household = index == nil ? nil : lastHousehold
        var partnerRecord: Int64?
        if index != nil, let (entity, key) = lastPartnerRecord {
            partnerRecord = try db.fetchValue(
                "SELECT id FROM partner_record WHERE entity = ? AND business_key = ?", [entity, key])
        }
        for issue in issues {
            try db.execute(
                """
                INSERT INTO anomaly (file_id, record_index, line, record_key, household_id, partner_record_id,
                check_id, type, field, path, value, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    fileID, index, issue.line ?? line, key, household, partnerRecord, issue.check ?? "",
                    issue.type.rawValue, issue.field, issue.path, issue.value, issue.message,
                ])
            counts.anomalies += 1
        }
    }

    /// Counts a record repeated identically earlier in the file: nothing to apply.
    public func countDuplicate() {
        lastHousehold = nil
        lastPartnerRecord = nil
        counts.records += 1
        counts.duplicates += 1
    }

    /// Keeps a refused record with its errors (values masked) and its raw text.
    /// `waitingFor` names what a record waits for (the proposal a feedback refers to): it is kept `waiting`, and
    /// applied by a replay once that exists.
    public func quarantine(
        index: Int, line: Int?, key: String?, raw: String, issues: [ValidationIssue], waitingFor: String? = nil
    ) throws {
        lastHousehold = nil
        lastPartnerRecord = nil
        counts.records += 1
        counts.quarantined += 1
        if waitingFor != nil { counts.waiting += 1 }
        let encoded = String(decoding: try encoder.encode(issues), as: UTF8.self)
        try db.execute(
            """
            INSERT INTO quarantine (file_id, record_index, line, record_key, raw, issues, status, waiting_for)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                fileID, index, line, key.map { Self.bounded($0, 120) }, Self.bounded(raw, Self.maxRawBytes), encoded,
                waitingFor == nil ? "open" : "waiting", waitingFor,
            ])
    }

    /// The most of a quarantined record's text kept: a record of megabytes is kept as an excerpt (it was refused
    /// for its size anyway), so that one bad file cannot fill the store or every later quarantine listing.
    public static let maxRawBytes = 64 << 10

    /// `text` cut to at most `limit` bytes (at a character boundary), with a marker saying how long it was.
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var cut = text.utf8.index(text.utf8.startIndex, offsetBy: limit)
        while cut > text.startIndex && cut.samePosition(in: text.unicodeScalars) == nil {
            cut = text.utf8.index(before: cut)
        }
        return String(text[..<cut]) + "… [tronqué : \(text.utf8.count) octets]"
    }

    /// For a monthly file: households of the same paying offices that the file no longer lists.
    public func recordAbsences() throws {
        try flushSeen()
        for office in payingOffices.sorted() {
            let rows = try db.fetchAll(
                """
                SELECT id, organisme, matricule, right_state FROM household
                WHERE organisme = ? AND COALESCE(organisme_number, '') = ? AND last_file_id <> ?
                AND absent_since_file_id IS NULL
                AND (last_reference_date IS NULL OR CAST(? AS TEXT) IS NULL OR last_reference_date < ?)
                """, [office.organisme, office.number, fileID, referenceDate?.iso, referenceDate?.iso])
            for row in rows {
                let id: Int64 = row[0]
                guard let organisme = Organisme(rawValue: row[1]),
                    let matricule = try? Matricule(validating: row[2] as String)
                else { continue }
                let change = StatusChangeDerivation.absence(
                    of: HouseholdKey(organisme: organisme, matricule: matricule), referenceDate: referenceDate,
                    lastState: RightState(rawValue: row[3]))
                try insert([change], householdID: id, personIDs: [:])
                try db.execute("UPDATE household SET absent_since_file_id = ? WHERE id = ?", [fileID, id])
                counts.statusChanges += 1
            }
        }
    }

    /// The statements run for every household, prepared once per file and kept here (a cached statement would
    /// hash its SQL text, up to a kilobyte, on every call).
    private enum Prepared: Int, CaseIterable {
        case lookup, householdInsert, householdUpdate, rightInsert, rightUpsert, personInsert, personUpdate,
            statusChangeInsert, eventInsert, peopleLeft, sourceInsert, sourceUpsert
        case partnerRecordInsert, partnerRecordUpdate, identifierInsert

        /// The writes sent many rows at a time on PostgreSQL, in this order: a household before its right, its
        /// people, its changes and its record; a person's update before the mark of those who left. Between two
        /// lookups, a household comes at most once (a key repeated in the file is looked up), so no statement of a
        /// batch meets its row twice.
        static let batched: Set<Prepared> = [
            .householdInsert, .householdUpdate, .rightInsert, .rightUpsert, .personInsert, .personUpdate,
            .statusChangeInsert, .eventInsert, .peopleLeft, .sourceInsert, .sourceUpsert,
            .partnerRecordInsert, .identifierInsert,
        ]
    }

    private var prepared: [any StoreStatement] = []

    /// What the partner records about to be applied need from the store, read ahead in a few queries.
    var lookahead = PartnerLookahead()
    /// The households of the block of CNAF records about to be applied, by organisme and matricule: the stored
    /// row, or nil when the store has none. A key not read ahead is looked up alone.
    var householdsAhead: [String: StoredHousehold?] = [:]
    /// Households found unchanged, whose "seen in this file" marks are not written yet.
    var pendingSeen: [Int64] = []
    /// The people and events of the households read ahead that the store holds, by household.
    var peopleAhead: [Int64: [StoredPerson]] = [:]
    var eventsAhead: [Int64: Set<CNAFEvent>] = [:]

    private func statement(_ which: Prepared) -> any StoreStatement { prepared[which.rawValue] }

    /// The stored household with `household`'s key, read alone (after the marks not yet written).
    func storedHousehold(_ household: Household) throws -> StoredHousehold? {
        try flushSeen()
        let lookup = statement(.lookup)
        lookup.reset()
        lookup.bind(household.organisme.rawValue)
        lookup.bind(household.matricule.canonical)
        return try lookup.fetchOne().map(StoredHousehold.init(row:))
    }

    /// Runs a prepared statement with `values` bound in order (text, integers and NULLs: what the partner
    /// statements bind).
    private func run(_ which: Prepared, _ values: SQLArguments) throws {
        let statement = statement(which)
        statement.reset()
        for value in values.sqlValues {
            switch value {
            case .null: statement.bind(nil as String?)
            case .integer(let number): statement.bind(number)
            case .text(let text): statement.bind(text)
            case .double, .blob: throw StoreFailure("valeur non prévue pour \(which)")
            }
        }
        try statement.execute()
    }

    /// Inserts a partner record (sent many rows at a time on PostgreSQL).
    func insertPartnerRecord(_ values: SQLArguments) throws { try run(.partnerRecordInsert, values) }

    /// Updates a partner record on its business key.
    func updatePartnerRecord(_ values: SQLArguments) throws { try run(.partnerRecordUpdate, values) }

    /// Records an identifier learnt from a partner (sent many rows at a time on PostgreSQL).
    func insertIdentifier(_ values: SQLArguments) throws { try run(.identifierInsert, values) }

    private static func insert(into table: String, columns: [String], orIgnore: Bool = false) -> String {
        "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            + (orIgnore ? " ON CONFLICT DO NOTHING" : "")
    }

    private static func sql(_ which: Prepared) -> String {
        switch which {
        case .lookup:
            "SELECT \(StoredHousehold.columns) FROM household WHERE organisme = ? AND matricule = ?"
        case .householdInsert: insert(into: "household", columns: householdColumns + ["id"])
        case .householdUpdate: householdUpdate
        case .rightInsert: insert(into: "right_status", columns: rightColumns)
        case .rightUpsert:
            insert(into: "right_status", columns: rightColumns) + " ON CONFLICT (household_id) DO UPDATE SET "
                + rightColumns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        case .personInsert: insert(into: "person", columns: personColumns + ["id"])
        case .personUpdate: personUpdate
        case .statusChangeInsert: insert(into: "status_change", columns: statusChangeColumns)
        case .eventInsert:
            insert(
                into: "cnaf_event",
                columns: ["household_id", "liquidation_date", "liquidation_time", "code", "file_id"],
                orIgnore: true)
        case .peopleLeft: "UPDATE person SET present = 0 WHERE id = ?"
        case .sourceInsert: "INSERT INTO household_source (household_id, file_id, raw, packed) VALUES (?, ?, '', ?)"
        case .sourceUpsert:
            """
            INSERT INTO household_source (household_id, file_id, raw, packed) VALUES (?, ?, '', ?)
            ON CONFLICT (household_id) DO UPDATE SET file_id = excluded.file_id, raw = '', packed = excluded.packed
            WHERE household_source.packed IS DISTINCT FROM excluded.packed
            """
        case .partnerRecordInsert:
            insert(
                into: "partner_record",
                columns: [
                    "entity", "business_key", "partner", "scope", "person_id", "matched_by", "state", "first_file_id",
                    "last_file_id",
                ])
        case .partnerRecordUpdate:
            """
            UPDATE partner_record SET partner = ?, scope = ?, person_id = ?, matched_by = ?, state = ?,
            last_file_id = ? WHERE entity = ? AND business_key = ?
            """
        case .identifierInsert:
            insert(
                into: "person_identifier", columns: ["person_id", "kind", "value", "partner", "file_id"],
                orIgnore: true)
        }
    }

    private static let statusChangeColumns = [
        "household_id", "person_id", "kind", "effective_date", "before_value", "after_value", "motive", "event_code",
        "file_id",
    ]

    private func insert(_ changes: [StatusChange], householdID: Int64, personIDs: [String: Int64]) throws {
        guard !changes.isEmpty else { return }
        let values = statement(.statusChangeInsert)
        for change in changes {
            values.reset()
            values.bind(householdID)
            values.bind(change.personKey.flatMap { personIDs[$0] })
            values.bind(change.kind.rawValue)
            values.bind(change.effectiveDate?.iso)
            values.bind(change.before)
            values.bind(change.after)
            values.bind(change.motive)
            values.bind(change.eventCode)
            values.bind(fileID)
            try values.execute()
        }
    }

    private static let householdColumns = [
        "organisme", "matricule", "organisme_number", "rsa_request_number", "rsa_request_date", "partner_departement",
        "street_number", "street_type", "street_name", "address_complement", "locality", "commune_insee",
        "postal_code", "commune_name", "departement", "homeless", "soumis_droits_devoirs", "right_state",
        "first_file_id", "last_file_id", "last_reference_date", "state",
    ]

    /// An update of every column an insert binds, in the insert's order, so that one binding serves both; the
    /// first file stays. An update by key rather than an upsert: PostgreSQL's upsert would draw an id from the
    /// sequence each time, and the ids (shown by the exports of a purged store) would differ from SQLite's.
    private static func update(_ table: String, columns: [String], keep: [String: String], where clause: String)
        -> String
    {
        "UPDATE \(table) SET (\(columns.joined(separator: ", "))) = ("
            + columns.map { keep[$0] ?? "?" }.joined(separator: ", ") + ")" + clause
    }

    private static let householdUpdate = update(
        "household", columns: householdColumns, keep: ["first_file_id": "COALESCE(first_file_id, ?)"],
        where: ", absent_since_file_id = NULL WHERE id = ?")

    private func upsertHousehold(_ household: Household, state: String, existingID: Int64?) throws -> Int64 {
        // A household never seen: a plain insert, cheaper than an upsert with RETURNING.
        let values = statement(existingID == nil ? .householdInsert : .householdUpdate)
        values.reset()
        let address = household.address
        values.bind(household.organisme.rawValue)
        values.bind(household.matricule.canonical)
        values.bind(household.organismeNumber)
        values.bind(household.rsaRequestNumber)
        values.bind(household.rsaRequestDate?.iso)
        values.bind(household.partnerDepartement)
        values.bind(address?.streetNumber)
        values.bind(address?.streetType)
        values.bind(address?.streetName)
        values.bind(address?.complement)
        values.bind(address?.locality)
        values.bind(address?.commune?.canonical)
        values.bind(address?.postalCode?.canonical)
        values.bind(address?.communeName)
        values.bind(address?.departement)
        values.bind(household.homeless)
        values.bind(household.soumisDroitsDevoirs)
        values.bind(household.right.state.rawValue)
        values.bind(fileID)
        values.bind(fileID)
        values.bind(referenceDate?.iso)
        values.bind(state)
        // The insert's last column is the new number, the update's key the household's.
        let id = try existingID ?? nextHouseholdID()
        values.bind(id)
        try values.execute()
        return id
    }

    /// The right's columns, the household first (the key an upsert keeps).
    private static let rightColumns = [
        "household_id", "rsa_request_number", "state", "benefit_nature", "refusal_date", "refusal_motive",
        "right_suspension_date", "right_suspension_motive", "payment_suspension_date", "payment_suspension_motive",
        "closure_date", "closure_motive", "earlier_month_closure_date", "earlier_month_closure_motive", "last_file_id",
    ]

    private func upsertRight(_ household: Household, householdID: Int64, isNew: Bool) throws {
        let right = household.right
        let values = statement(isNew ? .rightInsert : .rightUpsert)
        values.reset()
        values.bind(householdID)
        values.bind(household.rsaRequestNumber)
        values.bind(right.state.rawValue)
        values.bind(right.benefitNature)
        func bind(_ motive: DatedMotive?) {
            values.bind(motive?.date?.iso)
            values.bind(motive?.motive)
        }
        bind(right.refusal)
        bind(right.rightSuspension)
        bind(right.paymentSuspension)
        bind(right.closure)
        bind(right.earlierMonthClosure)
        values.bind(fileID)
        try values.execute()
    }

    /// Upserts the people of a household; people no longer listed are kept, marked absent.
    private static let personColumns = [
        "household_id", "person_key", "nir13", "nir_key", "civility", "surname", "birth_name", "first_name",
        "birth_date", "sex", "role", "france_travail_id", "soumis_droits_devoirs", "entrant_droits_devoirs",
        "first_file_id", "last_file_id",
    ]

    private func bindPerson(_ person: Person, householdID: Int64, to values: any StoreStatement) {
        values.reset()
        values.bind(householdID)
        values.bind(person.householdKey)
        values.bind(person.nir?.base13)
        values.bind(person.nir?.key.map { $0 < 10 ? "0\($0)" : String($0) })
        values.bind(person.civility?.rawValue)
        values.bind(person.surname)
        values.bind(person.birthName)
        values.bind(person.firstName)
        values.bind(person.birthDate?.iso)
        values.bind(person.sex)
        values.bind(person.role.rawValue)
        values.bind(person.franceTravailID?.canonical)
        values.bind(person.soumisDroitsDevoirs)
        values.bind(person.entrantDroitsDevoirs)
        values.bind(fileID)
        values.bind(fileID)
    }

    private static let personUpdate = update(
        "person", columns: personColumns,
        keep: ["nir_key": "COALESCE(?, nir_key)", "first_file_id": "COALESCE(first_file_id, ?)"],
        where: ", present = 1 WHERE household_id = ? AND person_key = ?")

    private func upsertPeople(_ household: Household, householdID: Int64, isNew: Bool) throws -> [String: Int64] {
        if isNew {
            // A new household's people are new too; the only change of a new household that names a person is
            // an entry into droits et devoirs, so ids are kept only then.
            let values = statement(.personInsert)
            let named = household.people.contains { $0.entrantDroitsDevoirs == true }
            var ids: [String: Int64] = [:]
            for person in household.people {
                bindPerson(person, householdID: householdID, to: values)
                let id = try nextPersonID()
                values.bind(id)
                try values.execute()
                if named { ids[person.householdKey] = id }
            }
            return ids
        }
        // The household's people as stored, read once: who is updated, who is new, who left. People who left are
        // still referenced by their status change.
        var ids: [String: Int64] = [:]
        let stored = try storedPeople(householdID)
        for person in stored { ids[person.key] = person.id }
        let update = statement(.personUpdate)
        for person in household.people {
            let key = person.householdKey
            if ids[key] != nil {
                bindPerson(person, householdID: householdID, to: update)
                update.bind(householdID)
                update.bind(key)
                try update.execute()
            } else {
                // New in this household.
                let insert = statement(.personInsert)
                bindPerson(person, householdID: householdID, to: insert)
                let id = try nextPersonID()
                insert.bind(id)
                try insert.execute()
                ids[key] = id
            }
        }
        // Those the record no longer lists are kept, marked absent.
        let listed = Set(household.people.map(\.householdKey))
        let left = statement(.peopleLeft)
        for person in stored where person.present && !listed.contains(person.key) {
            left.reset()
            left.bind(person.id)
            try left.execute()
        }
        return ids
    }
}
