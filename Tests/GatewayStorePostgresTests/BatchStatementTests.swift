import Foundation
import GatewayStore
import GatewayStorePostgres
import GatewayTestSupport
import Testing

/// The import's batched inserts (`prepareBatch`): run at once on SQLite, held and sent many rows at a time on
/// PostgreSQL (one array per placeholder, without waiting for the server). Both must store the same rows, and a
/// batch the server refuses must fail the transaction it belongs to.
@Suite("Batched inserts: the same rows on SQLite and PostgreSQL, a refused batch fails its transaction")
struct BatchStatementTests {
    static func database(_ backend: Backend) throws -> any StoreDatabase {
        switch backend {
        case .sqlite: try SQLiteDatabase()
        case .postgres: try PostgresStoreDatabase(url: Backend.newDatabase())
        }
    }

    static func createTable(_ db: any StoreConnection) throws {
        let bytes = db.dialect == .postgres ? "BYTEA" : "BLOB"
        try db.execute(
            """
            CREATE TABLE batch_probe (n BIGINT NOT NULL PRIMARY KEY, label TEXT NOT NULL, amount BIGINT, note TEXT,
            packed \(bytes), fixed TEXT NOT NULL)
            """)
    }

    /// Text as partners send it: quotes, a question mark, accents, an empty value.
    static func label(_ n: Int) -> String {
        ["l'école ?", "\"Zoé\"", "", "tab\there", "ligne\nsuivante", "€ \\ fin"][n % 6] + String(n)
    }

    @Test(
        "Thousands of rows, NULLs, bytes, a row bound in part and taken back: read back as bound",
        arguments: Backend.available)
    func roundTrip(backend: Backend) throws {
        let database = try Self.database(backend)
        let count = 4_500  // more than one batch
        try database.write { db in
            try Self.createTable(db)
            let insert = try db.prepareBatch(
                "INSERT INTO batch_probe (n, label, amount, note, packed, fixed) VALUES (?, ?, ?, COALESCE(?, 'aucune'), ?, 'x')"
            )
            for n in 0..<count {
                // A row begun and abandoned (a failure while binding) leaves nothing behind.
                insert.reset()
                insert.bind(Int64(-1))
                insert.bind("abandonné")
                insert.reset()
                insert.bind(Int64(n))
                insert.bind(Self.label(n))
                insert.bind(n % 3 == 0 ? nil : Int64(n * 10))
                insert.bind(nil as String?)  // NULL in every row: the expression's default
                let bytes: [UInt8] = [0, 0x27, 0x5C, UInt8(n % 256)]
                if n % 5 == 0 {
                    insert.bind(nil as String?)
                } else {
                    bytes.withUnsafeBytes { insert.bind(blob: $0) }
                }
                try insert.execute()
            }
        }
        try database.read { db in
            let rows = try db.fetchAll("SELECT n, label, amount, note, packed, fixed FROM batch_probe ORDER BY n")
            #expect(rows.count == count)
            for (n, row) in rows.enumerated() {
                #expect(row["n"] as Int == n)
                #expect(row["label"] as String == Self.label(n))
                #expect(row["amount"] as Int64? == (n % 3 == 0 ? nil : Int64(n * 10)))
                #expect(row["note"] as String == "aucune")
                #expect(row["fixed"] as String == "x")
                if n % 5 == 0 {
                    #expect(row.values[4] == .null)
                } else {
                    #expect(row.values[4] == .blob(Data([0, 0x27, 0x5C, UInt8(n % 256)])))
                }
            }
        }
    }

    @Test(
        "Updates by key, many rows at a time: a kept column, NULLs, then a statement that depends on them",
        arguments: Backend.available)
    func updates(backend: Backend) throws {
        let database = try Self.database(backend)
        let count = 2_500
        try database.write { db in
            try Self.createTable(db)
            let insert = try db.prepareBatch("INSERT INTO batch_probe (n, label, amount, fixed) VALUES (?, ?, ?, 'x')")
            for n in 0..<count {
                insert.reset()
                insert.bind(Int64(n))
                insert.bind("avant")
                insert.bind(n.isMultiple(of: 2) ? Int64(n) : nil)
                try insert.execute()
            }
        }
        try database.write { db in
            let update = try db.prepareBatch(
                """
                UPDATE batch_probe SET (label, amount, note) = (?, COALESCE(amount, ?), ?)
                WHERE n = ?
                """)
            // Every third row: a label, an amount kept when there is one, a note NULL in every row.
            for n in stride(from: 0, to: count, by: 3) {
                update.reset()
                update.bind("après \(n) ?")
                update.bind(Int64(-1))
                update.bind(nil as String?)
                update.bind(Int64(n))
                try update.execute()
            }
            let mark = try db.prepareBatch("UPDATE batch_probe SET fixed = 'vu' WHERE n = ? AND label <> 'avant'")
            for n in 0..<count {
                mark.reset()
                mark.bind(Int64(n))
                try mark.execute()
            }
        }
        let rows = try database.read {
            try $0.fetchAll("SELECT n, label, amount, note, fixed FROM batch_probe ORDER BY n")
        }
        #expect(rows.count == count)
        for (n, row) in rows.enumerated() {
            let updated = n.isMultiple(of: 3)
            #expect(row["label"] as String == (updated ? "après \(n) ?" : "avant"))
            let amount: Int64? = n.isMultiple(of: 2) ? Int64(n) : (updated ? -1 : nil)
            #expect(row["amount"] as Int64? == amount)
            #expect(row.values[3] == .null)
            #expect(row["fixed"] as String == (updated ? "vu" : "x"))
        }
    }

    @Test("ON CONFLICT DO NOTHING keeps the first row of a key repeated in a batch", arguments: Backend.available)
    func conflictIgnored(backend: Backend) throws {
        let database = try Self.database(backend)
        try database.write { db in
            try Self.createTable(db)
            let insert = try db.prepareBatch(
                "INSERT INTO batch_probe (n, label, fixed) VALUES (?, ?, 'x') ON CONFLICT DO NOTHING")
            for (n, label) in [(1, "premier"), (2, "deux"), (1, "second")] {
                insert.reset()
                insert.bind(Int64(n))
                insert.bind(label)
                try insert.execute()
            }
        }
        let labels: [String] = try database.read { try $0.fetchColumn("SELECT label FROM batch_probe ORDER BY n") }
        #expect(labels == ["premier", "deux"])
    }

    @Test("A batch the database refuses fails the transaction: nothing of it is stored", arguments: Backend.available)
    func refusedBatch(backend: Backend) throws {
        let database = try Self.database(backend)
        try database.write { try Self.createTable($0) }
        #expect(throws: (any Error).self) {
            try database.write { db in
                let insert = try db.prepareBatch("INSERT INTO batch_probe (n, label, fixed) VALUES (?, ?, 'x')")
                for n in [1, 2, 2, 3] {  // a key twice: refused by the primary key
                    insert.reset()
                    insert.bind(Int64(n))
                    insert.bind("ligne \(n)")
                    try insert.execute()
                }
            }
        }
        let stored: Int? = try database.read { try $0.fetchValue("SELECT COUNT(*) FROM batch_probe") }
        #expect(stored == 0)
        // The connection serves the next transaction.
        try database.write { db in
            try db.execute("INSERT INTO batch_probe (n, label, fixed) VALUES (?, ?, 'x')", [9, "après"])
        }
        let after: Int? = try database.read { try $0.fetchValue("SELECT COUNT(*) FROM batch_probe") }
        #expect(after == 1)
    }

    @Test(
        "A value of another type than the placeholder's earlier ones is refused, not sent", arguments: Backend.available
    )
    func typeMismatch(backend: Backend) throws {
        let database = try Self.database(backend)
        try database.write { try Self.createTable($0) }
        guard backend == .postgres else { return }  // SQLite binds each row on its own: nothing to mismatch
        #expect(throws: StoreFailure.self) {
            try database.write { db in
                let insert = try db.prepareBatch("INSERT INTO batch_probe (n, label, fixed) VALUES (?, ?, 'x')")
                insert.reset()
                insert.bind(Int64(1))
                insert.bind("un")
                try insert.execute()
                insert.reset()
                insert.bind("deux")
                insert.bind("deux")
                try insert.execute()
            }
        }
    }
}
