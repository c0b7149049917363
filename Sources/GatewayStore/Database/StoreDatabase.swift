import Foundation

/// A value read from or bound to the store, the same on SQLite and PostgreSQL.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob(Data)
}

/// What can be bound to a `?` of the store's SQL.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

/// What a column can be read as.
public protocol SQLDecodable {
    /// Nil when the value is NULL or of another kind.
    static func decode(_ value: SQLValue) -> Self?
}

extension String: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .text(self) }
    public static func decode(_ value: SQLValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension Int64: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(self) }
    public static func decode(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .double(let number): Int64(exactly: number)
        default: nil
        }
    }
}

extension Int: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func decode(_ value: SQLValue) -> Int? { Int64.decode(value).map(Int.init) }
}

extension Double: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .double(self) }
    public static func decode(_ value: SQLValue) -> Double? {
        switch value {
        case .double(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }
}

extension Bool: SQLBindable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func decode(_ value: SQLValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

/// The arguments of a statement, one per `?`, in order.
public typealias SQLArguments = [(any SQLBindable)?]

extension Array where Element == (any SQLBindable)? {
    /// The values to bind, NULL for nil.
    public var sqlValues: [SQLValue] { map { $0?.sqlValue ?? .null } }
}

/// A row as the store reads it, whichever the database: column names and values.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public var count: Int { values.count }

    private func index(_ column: String) -> Int {
        guard let index = columns.firstIndex(of: column) else { preconditionFailure("no column \(column)") }
        return index
    }

    public subscript<T: SQLDecodable>(_ index: Int) -> T {
        guard let value = T.decode(values[index]) else {
            preconditionFailure("column \(columns[index]): \(T.self) expected")
        }
        return value
    }

    public subscript<T: SQLDecodable>(_ index: Int) -> T? { T.decode(values[index]) }

    public subscript<T: SQLDecodable>(_ column: String) -> T { self[index(column)] }

    public subscript<T: SQLDecodable>(_ column: String) -> T? { self[index(column)] }
}

/// Where the SQL of the two databases differs; everything else is written once, in the dialect both accept
/// (`?` placeholders, `ON CONFLICT … DO NOTHING / DO UPDATE`, `RETURNING`).
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// Appended to a `SELECT … LIMIT n` whose rows a transaction is about to take: other instances skip them
    /// rather than wait (PostgreSQL); SQLite has a single writer, that already keeps others out.
    public var skipLocked: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE SKIP LOCKED"
        }
    }
}

/// A statement prepared once and run many times in one transaction (the import's hot path): bind every `?` in
/// order after `reset()`, then run it.
public protocol StoreStatement: AnyObject {
    /// Clears the bindings, for the next run.
    func reset()
    func bind(_ value: String?)
    func bind(_ value: Int64?)
    /// Binds bytes as a BLOB (BYTEA on PostgreSQL), copied before the call returns.
    func bind(blob: UnsafeRawBufferPointer)
    func execute() throws
    /// The first row the statement returns (a `RETURNING` or a lookup).
    func fetchOne() throws -> SQLRow?
    /// Runs an `INSERT` and returns the new row's `id` (prepared with `returningID`).
    func executeInsert() throws -> Int64
}

extension StoreStatement {
    public func bind(_ value: Int?) { bind(value.map(Int64.init)) }
    public func bind(_ value: Bool?) { bind(value.map { $0 ? Int64(1) : 0 }) }
}

/// One connection inside a transaction.
public protocol StoreConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns the number of rows it changed.
    @discardableResult func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int
    func fetchAll(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow]
    /// Calls `body` for each row, without keeping the whole result in memory.
    func forEach(_ sql: String, _ arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws
    /// Runs an `INSERT` and returns the new row's `id`.
    func insert(_ sql: String, _ arguments: SQLArguments) throws -> Int64
    /// Prepares a statement for this transaction. `returningID`: an `INSERT` whose new `id` is wanted.
    func prepare(_ sql: String, returningID: Bool) throws -> any StoreStatement
    /// Prepares an `INSERT … VALUES (…)`, or an `UPDATE … SET … WHERE …` by key, of the import's hot path whose runs
    /// may be sent later, many rows at a time (PostgreSQL; SQLite, in process, runs each at once): before the transaction's next other statement or
    /// its commit, in the order the batched statements were prepared (so a table referred to is prepared before the
    /// tables that refer to it). The caller keeps two runs between two other statements from changing the same row
    /// (an upsert changes a row once per statement). Its runs return nothing.
    func prepareBatch(_ sql: String) throws -> any StoreStatement
    /// Holds a lock named `key` until the transaction ends, against other gateway instances (a PostgreSQL
    /// advisory lock; SQLite's write transactions already exclude each other).
    func lock(_ key: String) throws
}

extension StoreConnection {
    @discardableResult public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    public func fetchAll(_ sql: String) throws -> [SQLRow] { try fetchAll(sql, []) }

    public func fetchOne(_ sql: String, _ arguments: SQLArguments = []) throws -> SQLRow? {
        try fetchAll(sql, arguments).first
    }

    /// The first column of every row (NULLs left out).
    public func fetchColumn<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = []) throws -> [T] {
        try fetchAll(sql, arguments).compactMap { $0[0] }
    }

    /// The first column of the first row; nil when there is none or it is NULL.
    public func fetchValue<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = []) throws -> T? {
        try fetchOne(sql, arguments).flatMap { $0[0] }
    }

    public func prepare(_ sql: String) throws -> any StoreStatement { try prepare(sql, returningID: false) }
}

/// The database under the store: SQLite (GRDB) here, PostgreSQL in `GatewayStorePostgres`. Each call is one
/// transaction, committed when `body` returns and rolled back when it throws.
public protocol StoreDatabase: Sendable {
    @discardableResult func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T
    /// `bulk`: a transaction that writes a whole file (SQLite keeps its statement journals in memory for it).
    @discardableResult func write<T>(bulk: Bool, _ body: (any StoreConnection) throws -> T) throws -> T
}

extension StoreDatabase {
    @discardableResult public func write<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try write(bulk: false, body)
    }
}

/// A file already in the ledger when a transaction came to record it: another gateway instance (or process)
/// received the same content meanwhile. The file is reported as already received.
public struct FileAlreadyReceived: Error, Sendable {
    public var partner: String
    public var sha256: String
}

/// A failure of the store that names no data: what went wrong, never a value.
public struct StoreFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
