import Foundation
import GatewayStore
import Logging
import PostgresNIO
import Synchronization

/// The records store on PostgreSQL, for several gateway instances on one database: the same SQL as the embedded
/// store (`?` placeholders become `$1`, `$2`…), the same migration steps written in PostgreSQL's DDL (`Schema.postgres`),
/// one transaction per call.
///
/// The store's API is synchronous: each statement is sent on a connection of postgres-nio's event loops and the
/// calling thread waits for its result (never an event loop thread). Connections are kept in a small pool, one per
/// transaction under way.
public final class PostgresStoreDatabase: StoreDatabase {
    let configuration: PostgresConnection.Configuration
    /// Where the server is, for messages: host, port and database, never the user nor the password.
    let place: String
    let logger: Logger
    private let idle = Mutex<[PostgresConnection]>([])
    /// The store's own event loops: a thread that waits for a result is never one of them, even when it is one of
    /// the HTTP server's (NIO's shared group).
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    private let nextID = Atomic<Int>(1)

    /// Connects to `postgres://user[:password]@host[:port]/database` (TLS off: loopback or a private network) and
    /// creates or migrates the store's tables (unless `migrate` is false: an administration connection).
    public init(url: String, migrate: Bool = true, logger: Logger = Logger(label: "insertion-gateway.postgres")) throws
    {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql", let host = components.host,
            !host.isEmpty
        else {
            throw StoreFailure("Adresse PostgreSQL attendue : postgres://utilisateur@hôte:port/base")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: .disable)
        place = "\(host):\(components.port ?? 5432)/\(database.isEmpty ? "(défaut)" : database)"
        self.logger = logger
        if migrate { try self.migrate() }
    }

    deinit {
        // postgres-nio wants a connection closed before it goes: each is kept until its close completes.
        for connection in idle.withLock({ $0 }) { connection.close().whenComplete { _ in _ = connection } }
    }

    // MARK: Transactions

    public func read<T>(_ body: (any StoreConnection) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
    }

    public func write<T>(bulk: Bool, _ body: (any StoreConnection) throws -> T) throws -> T {
        try transaction("BEGIN", body)
    }

    private func transaction<T>(_ begin: String, _ body: (any StoreConnection) throws -> T) throws -> T {
        try withConnection { connection in
            let session = PostgresStoreConnection(connection: connection, logger: logger)
            try session.execute(begin)
            let result: T
            do {
                result = try body(session)
                // The rows still held by batched statements go before the commit (`execute` sends them first).
                try session.execute("COMMIT")
            } catch {
                session.discardBatches()
                _ = try? session.execute("ROLLBACK")
                throw error
            }
            return result
        }
    }

    /// Runs one statement outside any transaction (`CREATE DATABASE`, `DROP DATABASE`).
    public func run(_ sql: String) throws {
        try withConnection { connection in
            _ = try PostgresStoreConnection(connection: connection, logger: logger).execute(sql)
        }
    }

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try idle.withLock { $0.popLast() } ?? connect()
        defer {
            // A connection the server or the network closed is dropped; the next transaction opens another.
            if !connection.isClosed { idle.withLock { $0.append(connection) } }
        }
        return try body(connection)
    }

    private func connect() throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(
                on: Self.eventLoops.any(), configuration: configuration,
                id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger
            ).wait()
        } catch let error as PSQLError {
            throw StoreFailure(
                "Serveur PostgreSQL injoignable ou connexion refusée (\(place)) : "
                    + (error.serverInfo?[.message] ?? "\(error.code)"))
        } catch {
            throw StoreFailure("Serveur PostgreSQL injoignable (\(place)) : \(type(of: error))")
        }
    }

    // MARK: Migrations

    /// Applies the migrations not yet recorded in `gateway_migration`, in one transaction under an advisory lock:
    /// two instances opening a new database at once migrate it once.
    private func migrate() throws {
        try write { db in
            try db.execute("SELECT pg_advisory_xact_lock(4064201)")
            try db.execute(
                "CREATE TABLE IF NOT EXISTS gateway_migration (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")
            let applied = Set<String>(try db.fetchColumn("SELECT id FROM gateway_migration"))
            for (id, sql) in Schema.postgres where !applied.contains(id) {
                for statement in Self.statements(sql) { try db.execute(statement) }
                try db.execute("INSERT INTO gateway_migration (id, applied_at) VALUES (?, now())", [id])
            }
        }
    }

    /// The statements of a migration, one by one (the extended protocol takes one at a time): comments dropped,
    /// split on `;` (the migrations hold no `;` in a literal).
    static func statements(_ sql: String) -> [String] {
        sql.split(separator: "\n").map { line in
            line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line)
        }.joined(separator: "\n").split(separator: ";").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
    }
}

/// A connection of `PostgresStoreDatabase` inside a transaction.
final class PostgresStoreConnection: StoreConnection {
    let connection: PostgresConnection
    let logger: Logger
    private var cursors = 0

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    var dialect: SQLDialect { .postgres }

    /// `?` → `$n`, outside quoted text.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Batched statements of this transaction, in the order they were prepared: the order their rows are sent.
    private var batches: [PostgresBatchStatement] = []

    /// Sends `sql` (with `?` placeholders), after the rows the batched statements still hold.
    func run(_ sql: String, _ values: [SQLValue]) throws -> PostgresQueryResult {
        try flushBatches()
        return try send(Self.numbered(sql), values)
    }

    /// Sends the rows every batched statement holds, one multi-row statement each, in the order they were prepared
    /// (a person's household before the person).
    func flushBatches() throws {
        for batch in batches where batch.rows > 0 {
            let (sql, values) = batch.take()
            _ = try send(sql, values)
        }
    }

    /// Forgets the rows not yet sent: the transaction is being rolled back.
    func discardBatches() {
        for batch in batches { _ = batch.take() }
    }

    /// Sends one statement already numbered (`$1`, `$2`…).
    private func send(_ sql: String, _ values: [SQLValue]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .double(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
        } catch let error as PSQLError {
            // The server's message and SQLSTATE only: its detail may quote values (a NIR in a key).
            throw StoreFailure(
                "PostgreSQL : \(error.serverInfo?[.message] ?? "\(error.code)")"
                    + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""))
        }
    }

    static func row(_ row: PostgresRow) throws -> SQLRow {
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            columns.append(cell.columnName)
            values.append(try value(cell))
        }
        return SQLRow(columns: columns, values: values)
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
        case .numeric:
            let text = try cell.decode(String.self)
            if let number = Int64(text) { return .integer(number) }
            return .double(Double(text) ?? 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: SQLArguments) throws -> Int {
        try run(sql, arguments.sqlValues).metadata.rows ?? 0
    }

    func fetchAll(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        try run(sql, arguments.sqlValues).rows.map(Self.row)
    }

    func forEach(_ sql: String, _ arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        guard arguments.isEmpty else {
            for row in try fetchAll(sql, arguments) { try body(row) }
            return
        }
        // A cursor of the transaction, read a thousand rows at a time.
        cursors += 1
        let name = "store_cursor_\(cursors)"
        try execute("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)")
        while true {
            let rows = try run("FETCH FORWARD 1000 FROM \(name)", []).rows
            if rows.isEmpty { break }
            for row in rows { try body(try Self.row(row)) }
        }
        try execute("CLOSE \(name)")
    }

    func insert(_ sql: String, _ arguments: SQLArguments) throws -> Int64 {
        guard let id: Int64 = try fetchAll(sql + " RETURNING id", arguments).first?[0] else {
            throw StoreFailure("an insert returned no id")
        }
        return id
    }

    func prepare(_ sql: String, returningID: Bool) throws -> any StoreStatement {
        PostgresStoreStatement(self, sql: returningID ? sql + " RETURNING id" : sql)
    }

    /// An `INSERT … VALUES (…)` whose rows are held, then sent many at a time: one round trip and one parse for
    /// hundreds of rows, where the import sent one per row. A statement of another form runs at once.
    func prepareBatch(_ sql: String) throws -> any StoreStatement {
        guard let batch = PostgresBatchStatement(self, sql: sql) else { return try prepare(sql, returningID: false) }
        batches.append(batch)
        return batch
    }

    func lock(_ key: String) throws {
        try execute("SELECT pg_advisory_xact_lock(hashtext(?))", [key])
    }
}

/// A statement of the import's hot path on PostgreSQL: the values bound, then sent with the SQL.
final class PostgresStoreStatement: StoreStatement {
    let connection: PostgresStoreConnection
    let sql: String
    private var values: [SQLValue] = []

    init(_ connection: PostgresStoreConnection, sql: String) {
        self.connection = connection
        self.sql = sql
    }

    func reset() { values.removeAll(keepingCapacity: true) }
    func bind(_ value: String?) { values.append(value.map(SQLValue.text) ?? .null) }
    func bind(_ value: Int64?) { values.append(value.map(SQLValue.integer) ?? .null) }
    func bind(blob: UnsafeRawBufferPointer) { values.append(.blob(Data(blob))) }
    func execute() throws { _ = try connection.run(sql, values) }

    func fetchOne() throws -> SQLRow? {
        try connection.run(sql, values).rows.first.map(PostgresStoreConnection.row)
    }

    func executeInsert() throws -> Int64 {
        guard let id: Int64 = try fetchOne()?[0] else { throw StoreFailure("an insert returned no id") }
        return id
    }
}

/// A batched `INSERT … VALUES (…) [ON CONFLICT …]` on PostgreSQL: each run adds a row; the rows go as one
/// multi-row statement when the connection sends its next other statement (or commits), or when the batch is full.
final class PostgresBatchStatement: StoreStatement {
    /// The connection holds its batches for the transaction; a batch never outlives it.
    unowned let connection: PostgresStoreConnection
    /// `INSERT INTO t (a, b) VALUES `, the row's template `(?, ?)` and what follows it.
    let head: String
    let template: [Substring]
    let tail: String
    /// Placeholders in a row.
    let width: Int
    /// Rows held before they are sent: under PostgreSQL's 65,535 parameters per statement.
    let capacity: Int
    private(set) var rows = 0
    private var values: [SQLValue] = []
    private var row: [SQLValue] = []

    /// Nil when `sql` is not an `INSERT … VALUES (…)` with its placeholders in the row only.
    init?(_ connection: PostgresStoreConnection, sql: String) {
        guard sql.uppercased().hasPrefix("INSERT"), let values = sql.range(of: "VALUES", options: .caseInsensitive),
            let open = sql[values.upperBound...].firstIndex(where: { !$0.isWhitespace }), sql[open] == "("
        else { return nil }
        // The closing parenthesis of the row, outside quoted text.
        var depth = 0
        var quoted = false
        var close: String.Index?
        for index in sql[open...].indices {
            let character = sql[index]
            if character == "'" { quoted.toggle() }
            guard !quoted else { continue }
            if character == "(" { depth += 1 }
            if character == ")" {
                depth -= 1
                if depth == 0 {
                    close = index
                    break
                }
            }
        }
        guard let close else { return nil }
        let row = sql[open...close]
        let rest = String(sql[sql.index(after: close)...])
        guard !rest.contains("?") else { return nil }
        self.connection = connection
        head = String(sql[..<open])
        template = row.split(separator: "?", omittingEmptySubsequences: false)
        tail = rest
        width = template.count - 1
        guard width > 0 else { return nil }
        capacity = max(1, min(500, 30_000 / width))
    }

    func reset() { row.removeAll(keepingCapacity: true) }
    func bind(_ value: String?) { row.append(value.map(SQLValue.text) ?? .null) }
    func bind(_ value: Int64?) { row.append(value.map(SQLValue.integer) ?? .null) }
    func bind(blob: UnsafeRawBufferPointer) { row.append(.blob(Data(blob))) }

    func execute() throws {
        guard row.count == width else {
            throw StoreFailure("batched statement: \(row.count) values bound for \(width) placeholders")
        }
        values.append(contentsOf: row)
        rows += 1
        // Full: every batch goes, in order, so that no row is sent before one it refers to.
        if rows >= capacity { try connection.flushBatches() }
    }

    func fetchOne() throws -> SQLRow? { throw StoreFailure("a batched statement returns no row") }
    func executeInsert() throws -> Int64 { throw StoreFailure("a batched statement returns no id") }

    /// The statement for the rows held, and their values; the batch is empty afterwards.
    func take() -> (String, [SQLValue]) {
        var sql = head
        sql.reserveCapacity(head.utf8.count + rows * (template.reduce(0) { $0 + $1.utf8.count } + width * 6) + 64)
        var number = 0
        for index in 0..<rows {
            if index > 0 { sql += ", " }
            for (offset, piece) in template.enumerated() {
                sql += piece
                if offset < width {
                    number += 1
                    sql += "$\(number)"
                }
            }
        }
        sql += tail
        let taken = values
        values.removeAll(keepingCapacity: true)
        rows = 0
        return (sql, taken)
    }
}
