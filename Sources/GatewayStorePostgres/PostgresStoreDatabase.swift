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

    /// `?` → `$n`, outside quoted text (read as bytes: both characters are ASCII).
    static func numbered(_ sql: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quoted = false
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "'") { quoted.toggle() }
            if byte == UInt8(ascii: "?") && !quoted {
                number += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(number).utf8)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Batched statements of this transaction, in the order they were prepared: the order their rows are sent.
    private var batches: [PostgresBatchStatement] = []
    /// Batches sent and not yet waited for, oldest first: the gateway goes on reading and mapping records while
    /// the server stores them. The connection runs its statements in the order they were sent, so a statement
    /// sent after them sees their rows.
    private var inFlight: [EventLoopFuture<PostgresQueryResult>] = []
    /// At most this many batches in flight: the ones behind wait, and memory stays bounded.
    static let maxInFlight = 16

    /// Sends `sql` (with `?` placeholders), after the rows the batched statements still hold, and waits for its
    /// result; the batches before it failing fail it.
    func run(_ sql: String, _ values: [SQLValue]) throws -> PostgresQueryResult {
        try flushBatches()
        try settle()
        return try send(Self.numbered(sql), values)
    }

    /// Sends the rows every batched statement holds, one statement each, in the order they were prepared (a
    /// person's household before the person), without waiting for them.
    func flushBatches() throws {
        for batch in batches where batch.rows > 0 {
            inFlight.append(connection.query(batch.take(), logger: logger))
            if inFlight.count > Self.maxInFlight { _ = try wait(inFlight.removeFirst()) }
        }
    }

    /// Waits for every batch sent; throws the first failure.
    private func settle() throws {
        while !inFlight.isEmpty { _ = try wait(inFlight.removeFirst()) }
    }

    /// Forgets the rows not yet sent and lets those sent finish: the transaction is being rolled back.
    func discardBatches() {
        for batch in batches { batch.discard() }
        for future in inFlight { _ = try? future.wait() }
        inFlight.removeAll()
    }

    /// Sends one statement already numbered (`$1`, `$2`…) and waits for its result.
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
        return try wait(connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
    }

    private func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        do {
            return try future.wait()
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

/// A batched `INSERT … VALUES (…) [ON CONFLICT …]` or `UPDATE … SET … WHERE …` on PostgreSQL: each run adds a
/// row; the rows go when the connection sends its next other statement (or commits), or when the batch is full, as
/// one statement over `unnest($1, $2…)`, one array per placeholder: `INSERT … SELECT … FROM unnest(…)` or
/// `UPDATE … SET … FROM unnest(…) WHERE …`. Its text is the same for every batch of the statement (the server
/// parses a few hundred bytes, not a row template repeated per row), and each value is written once, straight into
/// its column's array as PostgreSQL reads it.
final class PostgresBatchStatement: StoreStatement {
    /// The connection holds its batches for the transaction; a batch never outlives it.
    unowned let connection: PostgresStoreConnection
    let isUpdate: Bool
    /// The parts of the statement that hold placeholders, each split at its `?`: an insert's row (`?, ?` →
    /// `["", ", ", ""]`); an update's `SET …` and `WHERE …` (the arrays come between them).
    let segments: [[Substring]]
    /// An insert's `INSERT INTO t (a, b) ` and what follows its row (`ON CONFLICT …`).
    let head: String
    let tail: String
    /// Placeholders in a row.
    let width: Int
    /// Rows held before they are sent, and bytes: a batch stays a few megabytes.
    static let maxRows = 1_000
    static let maxBytes = 4 << 20
    private(set) var rows = 0
    private var columns: [BatchColumn]
    /// The placeholder the next `bind` fills.
    private var position = 0
    private var mismatch: String?

    /// Nil when `sql` is neither an `INSERT … VALUES (…)` with its placeholders in the row only, nor an
    /// `UPDATE … SET … WHERE …` without `FROM` or `RETURNING`.
    init?(_ connection: PostgresStoreConnection, sql: String) {
        let upper = sql.uppercased()
        if upper.hasPrefix("UPDATE") {
            guard !upper.contains("RETURNING"), !upper.contains(" FROM "),
                let condition = Self.topLevelWhere(in: sql)
            else { return nil }
            isUpdate = true
            segments = [sql[..<condition], sql[condition...]].map {
                $0.split(separator: "?", omittingEmptySubsequences: false)
            }
            head = ""
            tail = ""
        } else {
            guard upper.hasPrefix("INSERT"), let values = sql.range(of: "VALUES", options: .caseInsensitive),
                let open = sql[values.upperBound...].firstIndex(where: { !$0.isWhitespace }), sql[open] == "(",
                let close = Self.closing(open, in: sql)
            else { return nil }
            let rest = String(sql[sql.index(after: close)...])
            guard !rest.contains("?") else { return nil }
            isUpdate = false
            segments = [sql[sql.index(after: open)..<close].split(separator: "?", omittingEmptySubsequences: false)]
            head = String(sql[..<values.lowerBound])
            tail = rest
        }
        self.connection = connection
        width = segments.reduce(0) { $0 + $1.count - 1 }
        guard width > 0 else { return nil }
        columns = Array(repeating: BatchColumn(), count: width)
    }

    /// The parenthesis closing the one at `open`, outside quoted text.
    static func closing(_ open: String.Index, in sql: String) -> String.Index? {
        var depth = 0
        var quoted = false
        for index in sql[open...].indices {
            let character = sql[index]
            if character == "'" { quoted.toggle() }
            guard !quoted else { continue }
            if character == "(" { depth += 1 }
            if character == ")" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// Where the last `WHERE` outside parentheses and quoted text begins, with the blank before it (case ignored).
    static func topLevelWhere(in sql: String) -> String.Index? {
        let characters = Array(sql)
        var offsets: [String.Index] = []
        offsets.reserveCapacity(characters.count)
        for index in sql.indices { offsets.append(index) }
        var depth = 0
        var quoted = false
        var found: String.Index?
        for (at, character) in characters.enumerated() {
            if character == "'" { quoted.toggle() }
            guard !quoted else { continue }
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            guard depth == 0, character.isWhitespace, at + 6 < characters.count,
                String(characters[(at + 1)...(at + 5)]).uppercased() == "WHERE", characters[at + 6].isWhitespace
            else { continue }
            found = offsets[at]
        }
        return found
    }

    func reset() {
        // A row bound in part and not run is taken back.
        for index in 0..<position { columns[index].dropUncommitted() }
        position = 0
    }

    private func next() -> Int? {
        guard position < width else {
            mismatch = "more values bound than the \(width) placeholders"
            return nil
        }
        defer { position += 1 }
        return position
    }

    func bind(_ value: String?) {
        guard let index = next() else { return }
        guard let value else { return columns[index].appendNull() }
        if !columns[index].begin(.text) { mismatch = "placeholder \(index + 1): text after another type" }
        columns[index].append(text: value)
    }

    func bind(_ value: Int64?) {
        guard let index = next() else { return }
        guard let value else { return columns[index].appendNull() }
        if !columns[index].begin(.int8) { mismatch = "placeholder \(index + 1): integer after another type" }
        columns[index].append(integer: value)
    }

    func bind(blob: UnsafeRawBufferPointer) {
        guard let index = next() else { return }
        if !columns[index].begin(.bytea) { mismatch = "placeholder \(index + 1): bytes after another type" }
        columns[index].append(bytes: blob)
    }

    func execute() throws {
        if let mismatch { throw StoreFailure("batched statement: \(mismatch)") }
        guard position == width else {
            throw StoreFailure("batched statement: \(position) values bound for \(width) placeholders")
        }
        var bytes = 0
        for index in 0..<width {
            columns[index].commit()
            bytes += columns[index].bytes
        }
        position = 0
        rows += 1
        // Full: every batch goes, in order, so that no row is sent before one it refers to.
        if rows >= Self.maxRows || bytes >= Self.maxBytes { try connection.flushBatches() }
    }

    func fetchOne() throws -> SQLRow? { throw StoreFailure("a batched statement returns no row") }
    func executeInsert() throws -> Int64 { throw StoreFailure("a batched statement returns no id") }

    /// The statement for the rows held, with one array per placeholder bound (a placeholder NULL in every row is
    /// written NULL); the batch is empty afterwards.
    func take() -> PostgresQuery {
        var arrays: [String] = []
        var names: [String] = []
        var bindings = PostgresBindings(capacity: width)
        var offset = 0
        let texts = segments.map { pieces in
            var text = ""
            for (index, piece) in pieces.enumerated() {
                text += piece
                guard index < pieces.count - 1 else { continue }
                let column = columns[offset]
                offset += 1
                guard let kind = column.kind else {
                    text += "NULL"
                    continue
                }
                arrays.append("$\(arrays.count + 1)::\(kind.arrayName)")
                names.append("c\(offset)")
                text += "u.c\(offset)"
                bindings.append(column.array(rows: rows))
            }
            return text
        }
        let source =
            arrays.isEmpty
            ? " FROM generate_series(1, \(rows))"
            : " FROM unnest(\(arrays.joined(separator: ", "))) AS u(\(names.joined(separator: ", ")))"
        for index in 0..<width { columns[index].clear() }
        rows = 0
        position = 0
        let sql = isUpdate ? texts[0] + source + texts[1] : head + "SELECT " + texts[0] + source + tail
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    /// Forgets the rows held: the transaction is being rolled back.
    func discard() {
        for index in 0..<width { columns[index].clear() }
        rows = 0
        position = 0
        mismatch = nil
    }
}

/// One placeholder's values in a batch: the elements of a one-dimension PostgreSQL array in its binary form
/// (each a 4-byte length, -1 for NULL, then the value's bytes).
struct BatchColumn {
    enum Kind {
        case text, int8, bytea

        var arrayName: String {
            switch self {
            case .text: "text[]"
            case .int8: "int8[]"
            case .bytea: "bytea[]"
            }
        }

        var elementType: PostgresDataType {
            switch self {
            case .text: .text
            case .int8: .int8
            case .bytea: .bytea
            }
        }

        var arrayType: PostgresDataType {
            switch self {
            case .text: .textArray
            case .int8: .int8Array
            case .bytea: .byteaArray
            }
        }
    }

    /// The values' type: nil while every value bound is NULL.
    private(set) var kind: Kind?
    private var elements = ByteBuffer()
    private var committed = 0
    private var hasNull = false

    var bytes: Int { committed }

    /// Whether a value of `kind` may follow the values already bound.
    mutating func begin(_ kind: Kind) -> Bool {
        if let current = self.kind { return current == kind }
        self.kind = kind
        return true
    }

    mutating func appendNull() {
        elements.writeInteger(-1, as: Int32.self)
        hasNull = true
    }

    mutating func append(text: String) {
        let lengthAt = elements.writerIndex
        elements.writeInteger(0, as: Int32.self)
        let written = elements.writeString(text)
        elements.setInteger(Int32(written), at: lengthAt)
    }

    mutating func append(integer: Int64) {
        elements.writeInteger(8, as: Int32.self)
        elements.writeInteger(integer)
    }

    mutating func append(bytes: UnsafeRawBufferPointer) {
        elements.writeInteger(Int32(bytes.count))
        elements.writeBytes(bytes)
    }

    mutating func commit() { committed = elements.writerIndex }

    mutating func dropUncommitted() { elements.moveWriterIndex(to: committed) }

    mutating func clear() {
        elements.clear()
        committed = 0
        hasNull = false
        kind = nil
    }

    /// The array of the `rows` values committed.
    func array(rows: Int) -> BatchArray {
        BatchArray(kind: kind ?? .text, rows: rows, hasNull: hasNull, elements: elements)
    }
}

/// A batch column sent as one bound parameter.
struct BatchArray: PostgresDynamicTypeEncodable {
    let kind: BatchColumn.Kind
    let rows: Int
    let hasNull: Bool
    let elements: ByteBuffer

    var psqlType: PostgresDataType { kind.arrayType }
    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(1, as: Int32.self)  // dimensions
        byteBuffer.writeInteger(hasNull ? 1 : 0, as: Int32.self)
        byteBuffer.writeInteger(kind.elementType.rawValue)
        byteBuffer.writeInteger(Int32(rows))  // elements in the dimension
        byteBuffer.writeInteger(1, as: Int32.self)  // its lower bound
        byteBuffer.writeImmutableBuffer(elements)
    }
}
