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

extension ImportSession {
    /// Reads ahead the stored households of a block of CNAF records (a monthly file finds most of them): one query
    /// per 500 matricules instead of one per household, which on PostgreSQL is a round trip each. Organismes
    /// whose first file this is have nothing to read.
    public func lookAhead(households: [Household]) throws {
        householdsAhead = [:]
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
                    "matricule, " + StoredHousehold.columns, from: "household",
                    scope: ("organisme", organisme.rawValue),
                    key: "matricule", values: chunk)
                {
                    householdsAhead[StoredHousehold.key(organisme.rawValue, row["matricule"])] = StoredHousehold(
                        row: row)
                }
            }
        }
    }

    /// Keeps what was read ahead for `key` true after the household was written.
    func keepAhead(_ key: String, _ household: StoredHousehold) {
        if householdsAhead[key] != nil { householdsAhead[key] = .some(household) }
    }

    /// Marks an unchanged household, and its present people, seen in this file: written 500 at a time, before
    /// anything reads households again (a lookup, the absences, the end of the file).
    func markSeen(_ householdID: Int64) throws {
        pendingSeen.append(householdID)
        if pendingSeen.count >= 500 { try flushSeen() }
    }

    /// Writes the marks of the unchanged households held.
    func flushSeen() throws {
        guard !pendingSeen.isEmpty else { return }
        let ids = pendingSeen
        pendingSeen.removeAll(keepingCapacity: true)
        let list = "(" + Self.placeholders(ids.count) + ")"
        let arguments = ids.map { $0 as (any SQLBindable)? }
        try db.execute(
            "UPDATE household SET last_file_id = ?, last_reference_date = ?, absent_since_file_id = NULL WHERE id IN "
                + list, [fileID, referenceDate?.iso] + arguments)
        try db.execute(
            "UPDATE person SET last_file_id = ? WHERE present = 1 AND household_id IN " + list, [fileID] + arguments)
    }

    /// Writes what the session still holds; called once its records are applied.
    func finish() throws { try flushSeen() }

    /// The rows of `table` whose unique key is (`scope`, one of `values`), read in one query: one probe of the
    /// index per value. PostgreSQL, without statistics on rows written by this very transaction, would otherwise
    /// read every row of the scope for `IN (…)` or a join; a lateral subquery with a LIMIT is not flattened.
    func probe(
        _ columns: String, from table: String, scope: (column: String, value: String), key: String, values: [String]
    ) throws -> [SQLRow] {
        let arguments = values.map { $0 as (any SQLBindable)? }
        switch db.dialect {
        case .postgres:
            let list = Array(repeating: "(?)", count: values.count).joined(separator: ", ")
            return try db.fetchAll(
                """
                SELECT r.* FROM (VALUES \(list)) AS k CROSS JOIN LATERAL (SELECT \(columns) FROM \(table)
                WHERE \(scope.column) = ? AND \(key) = k.column1 LIMIT 1) AS r
                """, arguments + [scope.value])
        case .sqlite:
            return try db.fetchAll(
                "SELECT \(columns) FROM \(table) WHERE \(scope.column) = ? AND \(key) IN ("
                    + Self.placeholders(values.count) + ")", [scope.value] + arguments)
        }
    }
}
