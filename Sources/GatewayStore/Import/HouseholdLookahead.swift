import GatewayCore

/// A household as the import finds it in the store: enough to tell a repeat, a stale record, an unchanged one.
struct StoredHousehold {
    var id: Int64
    var lastFileID: Int64
    var state: String
    var lastReferenceDate: String?

    static let columns = "id, last_file_id, state, last_reference_date"

    init(id: Int64, lastFileID: Int64, state: String, lastReferenceDate: String?) {
        (self.id, self.lastFileID, self.state, self.lastReferenceDate) = (id, lastFileID, state, lastReferenceDate)
    }

    init(row: SQLRow) {
        self.init(
            id: row["id"], lastFileID: row["last_file_id"], state: row["state"],
            lastReferenceDate: row["last_reference_date"])
    }

    static func key(_ organisme: String, _ matricule: String) -> String { organisme + "\u{1F}" + matricule }
    static func key(_ household: Household) -> String {
        key(household.organisme.rawValue, household.matricule.canonical)
    }
}

/// A person of a stored household.
struct StoredPerson {
    var id: Int64
    var key: String
    var present: Bool
}

extension ImportSession {
    /// Reads ahead the stored households of a block of CNAF records (a monthly file finds most of them), with their
    /// people and events: a few queries per 500 households instead of several per household, which on PostgreSQL
    /// are a round trip each. Organismes whose first file this is have nothing to read.
    public func lookAhead(households: [Household]) throws {
        householdsAhead = [:]
        peopleAhead = [:]
        eventsAhead = [:]
        guard !households.isEmpty else { return }
        try flushSeen()
        var byOrganisme: [Organisme: Set<String>] = [:]
        for household in households {
            byOrganisme[household.organisme, default: []].insert(household.matricule.canonical)
        }
        for (organisme, matricules) in byOrganisme where try !isFirstLoad(of: organisme) {
            for chunk in Self.chunks(matricules) {
                for matricule in chunk {
                    householdsAhead[StoredHousehold.key(organisme.rawValue, matricule)] = .some(nil)
                }
                for row in try probe(
                    "matricule, " + StoredHousehold.columns, from: "household", where: "organisme = ?",
                    [organisme.rawValue], key: "matricule", values: chunk)
                {
                    let key = StoredHousehold.key(organisme.rawValue, row["matricule"])
                    householdsAhead[key] = StoredHousehold(row: row)
                }
            }
        }
        // The people and events of the households found: a changed household needs them.
        for chunk in Self.chunks(householdsAhead.values.compactMap { $0?.id }) { try readPeopleAndEvents(chunk) }
    }

    /// Reads the people and events of these households into `peopleAhead` and `eventsAhead`.
    private func readPeopleAndEvents(_ households: [Int64]) throws {
        for id in households {
            peopleAhead[id] = []
            eventsAhead[id] = []
        }
        for row in try probe(
            "household_id, id, person_key, present", from: "person", key: "household_id", values: households,
            unique: false)
        {
            peopleAhead[row["household_id"], default: []].append(
                StoredPerson(id: row["id"], key: row["person_key"], present: row["present"]))
        }
        for row in try probe(
            "household_id, liquidation_date, liquidation_time, code", from: "cnaf_event", key: "household_id",
            values: households, unique: false)
        {
            guard let date = LocalDate(iso: row["liquidation_date"] as String) else { continue }
            let time: String = row["liquidation_time"]
            eventsAhead[row["household_id"], default: []].insert(
                CNAFEvent(liquidationDate: date, liquidationTime: time.isEmpty ? nil : time, code: row["code"]))
        }
    }

    /// The people of a stored household: read ahead, or now.
    func storedPeople(_ householdID: Int64) throws -> [StoredPerson] {
        if peopleAhead[householdID] == nil { try readPeopleAndEvents([householdID]) }
        return peopleAhead[householdID] ?? []
    }

    /// The events a stored household already has: read ahead, or now.
    func storedEvents(_ householdID: Int64) throws -> Set<CNAFEvent> {
        if eventsAhead[householdID] == nil { try readPeopleAndEvents([householdID]) }
        return eventsAhead[householdID] ?? []
    }

    /// Keeps what was read ahead for `key` true once household `id` is stored with `state` from this file.
    func keepAhead(_ key: String, id: Int64, state: String) {
        guard householdsAhead[key] != nil else { return }
        householdsAhead[key] = StoredHousehold(
            id: id, lastFileID: fileID, state: state, lastReferenceDate: referenceDate?.iso)
    }

    /// Marks an unchanged household seen in this file: written 500 at a time, before anything reads households
    /// again (a lookup, the absences, the end of the file). Its people are left as they are: the file that last
    /// listed a present person is their household's (`person.last_file_id` is the last file that wrote the row,
    /// and for a person who left, the last that listed them), so a monthly file does not rewrite every person.
    func markSeen(_ householdID: Int64) throws {
        pendingSeen.append(householdID)
        if pendingSeen.count >= 500 { try flushSeen() }
    }

    /// Writes the marks of the unchanged households held, by primary key (an index PostgreSQL uses even before
    /// the rows are analysed).
    func flushSeen() throws {
        guard !pendingSeen.isEmpty else { return }
        let households = pendingSeen
        pendingSeen.removeAll(keepingCapacity: true)
        for chunk in Self.chunks(households) {
            try db.execute(
                "UPDATE household SET last_file_id = ?, last_reference_date = ?, absent_since_file_id = NULL "
                    + "WHERE id IN (" + Self.placeholders(chunk.count) + ")",
                [fileID, referenceDate?.iso] + chunk.map { $0 })
        }
    }

    /// `values` as a PostgreSQL array literal: `{"a","b\\"c"}`, `{1,2}`.
    static func arrayLiteral<Value: SQLBindable>(_ values: [Value]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            switch value.sqlValue {
            case .integer(let number): text += String(number)
            case .text(let string):
                text += "\""
                for character in string.unicodeScalars {
                    if character == "\"" || character == "\\" { text += "\\" }
                    text.unicodeScalars.append(character)
                }
                text += "\""
            case .double(let number): text += String(number)
            case .null, .blob: text += "NULL"
            }
        }
        return text + "}"
    }

    /// Writes what the session still holds; called once its records are applied.
    func finish() throws { try flushSeen() }

    /// The rows of `source` (a table or a join) meeting `condition` whose `key` is one of `values`, read in one
    /// query: one probe of an index per value (`unique`: at most one row each). PostgreSQL, without statistics on
    /// rows written by this very transaction (or by a file of the same cycle, not yet analysed), would otherwise
    /// read every row for `IN (…)` or a join; a lateral subquery with a LIMIT or an OFFSET is not flattened.
    func probe<Value: SQLBindable>(
        _ columns: String, from source: String, where condition: String = "", _ conditionArguments: SQLArguments = [],
        key: String, values: [Value], unique: Bool = true
    ) throws -> [SQLRow] {
        let arguments: SQLArguments = values.map { $0 }
        let filter = condition.isEmpty ? "" : condition + " AND "
        switch db.dialect {
        case .postgres:
            // The values as one array parameter (its text form), not one parameter each: a short statement to parse
            // and a single value to bind, whatever the number of keys.
            let integers = values.allSatisfy { if case .integer = $0.sqlValue { true } else { false } }
            return try db.fetchAll(
                """
                SELECT r.* FROM unnest(CAST(? AS \(integers ? "BIGINT" : "TEXT")[])) AS k(column1)
                CROSS JOIN LATERAL (SELECT \(columns) FROM \(source)
                WHERE \(filter)\(key) = k.column1 \(unique ? "LIMIT 1" : "OFFSET 0")) AS r
                """, [Self.arrayLiteral(values)] + conditionArguments)
        case .sqlite:
            return try db.fetchAll(
                "SELECT \(columns) FROM \(source) WHERE \(filter)\(key) IN (" + Self.placeholders(values.count) + ")",
                conditionArguments + arguments)
        }
    }
}
