import Foundation
import GRDB

/// The embedded store's database: SQLite through GRDB, a pool (WAL) on a file or a queue in memory.
public struct SQLiteDatabase: StoreDatabase {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A larger page cache keeps the indexes of a growing store in memory during a large import.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        // Two gateways opening a new store at once race to switch it to WAL and to migrate it: the loser gets
        // "database is locked" or finds the tables already made; once the winner is done, opening again works.
        var attempt = 0
        var opened: DatabasePool?
        while opened == nil {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Schema.migrator.migrate(pool)
                opened = pool
            } catch {
                attempt += 1
                if attempt >= 10 { throw error }
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt))
            }
        }
        self.writer = opened!
    }

    /// Copies the database to a new SQLite file at `path` with SQLite's online backup API, while the gateway keeps
    /// reading and writing: the copy is the state of one moment (a write under way waits, or is in the copy whole).
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreFailure("Sauvegarde refusée : \(path) existe déjà (une sauvegarde n'en écrase pas une autre).")
        }
        let copy = try DatabaseQueue(path: path)
        try writer.backup(to: copy)
        try copy.close()
    }

    /// A database in memory, migrated, for tests.
    public init() throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: configuration)
        try Schema.migrator.migrate(queue)
        self.writer = queue
    }

    public func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try writer.read { db in try body(SQLiteConnection(db)) }
    }

    public func write<T>(bulk: Bool, _ body: (any StoreConnection) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in
            var tempStore: Int?
            if bulk {
                // Statements inserting several rows (or checking foreign keys) inside the file's transaction each
                // keep a statement journal of the pages they touch. Once one exceeds 64 KiB, SQLite moves that
                // journal to a temporary file for the rest of the transaction: two write calls per page touched,
                // about 900,000 for 100,000 households. In memory for the import (set outside any transaction,
                // as SQLite requires), and put back after, so that large sorts elsewhere still spill to disk.
                tempStore = try Int.fetchOne(db, sql: "PRAGMA temp_store") ?? 0
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            defer { if let tempStore { try? db.execute(sql: "PRAGMA temp_store = \(tempStore)") } }
            var result: T?
            // Immediate: the write lock is taken at BEGIN, so that two processes on one file never both read
            // then write (a claim's check and take are one step).
            try db.inTransaction(.immediate) {
                result = try body(SQLiteConnection(db))
                return .commit
            }
            return result!
        }
    }
}

final class SQLiteConnection: StoreConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    init(_ db: Database) { self.db = db }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        // GRDB's initialiser for a sequence of one convertible type maps it through a key path, which its generic
        // code builds again at every call (≈ 15 % of a France Travail import); the one for optional existentials
        // maps through a closure.
        StatementArguments(
            arguments.map { value -> (any DatabaseValueConvertible)? in (value?.sqlValue ?? .null).databaseValue })
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)).map(SQLRow.init)
    }

    func forEach(_ sql: String, _ arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: Self.arguments(arguments))
        while let row = try cursor.next() { try body(SQLRow(row)) }
    }

    func insert(_ sql: String, _ arguments: SQLArguments) throws -> Int64 {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.lastInsertedRowID
    }

    func prepareBatch(_ sql: String) throws -> any StoreStatement { try prepare(sql, returningID: false) }

    func prepare(_ sql: String, returningID: Bool) throws -> any StoreStatement {
        RawBindings(try db.makeStatement(sql: sql))
    }

    func lock(_ key: String) throws {}
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .double(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }
}

extension SQLRow {
    init(_ row: Row) {
        var columns: [String] = []
        var values: [SQLValue] = []
        columns.reserveCapacity(row.count)
        values.reserveCapacity(row.count)
        for (column, value) in row {
            columns.append(column)
            values.append(SQLValue(value))
        }
        self.init(columns: columns, values: values)
    }
}
