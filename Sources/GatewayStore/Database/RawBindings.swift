import GRDB
import GRDBSQLite

/// A prepared statement of the embedded store, bound straight with the SQLite C API, skipping GRDB's
/// `StatementArguments` (an array of boxed existentials per row): the import binds ≈ 60 values per household.
///
/// The statement is first given empty, unchecked arguments, so that GRDB's own `execute()` / `fetchOne(_:)`
/// (nil arguments) only reset it and keep these bindings, while GRDB still runs and reports the execution
/// (errors, transaction bookkeeping). Every `?` must be bound, in order: running it checks the count.
final class RawBindings: StoreStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private var index: CInt = 0

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
        reset()
    }

    func reset() {
        statement.setUncheckedArguments(StatementArguments())  // resets, clears the bindings
        index = 0
    }

    func bind(_ value: String?) {
        index += 1
        guard var value else {
            check(sqlite3_bind_null(handle, index))
            return
        }
        let code = value.withUTF8 { bytes -> CInt in
            guard let base = bytes.baseAddress else {
                return sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, CInt(bytes.count), Self.transient)
            }
        }
        check(code)
    }

    func bind(_ value: Int64?) {
        index += 1
        guard let value else {
            check(sqlite3_bind_null(handle, index))
            return
        }
        check(sqlite3_bind_int64(handle, index, value))
    }

    func bind(blob: UnsafeRawBufferPointer) {
        index += 1
        check(
            sqlite3_bind_blob(
                handle, index, blob.baseAddress ?? UnsafeRawPointer(bitPattern: 1), CInt(blob.count), Self.transient))
    }

    func execute() throws { try finish().execute() }

    func fetchOne() throws -> SQLRow? { try Row.fetchOne(finish()).map(SQLRow.init) }

    func executeInsert() throws -> Int64 {
        try finish().execute()
        return sqlite3_last_insert_rowid(sqlite3_db_handle(handle))
    }

    /// Checks that every parameter was bound; returns the statement, ready to run.
    private func finish() -> Statement {
        precondition(index == sqlite3_bind_parameter_count(handle), "statement parameters left unbound")
        return statement
    }

    private func check(_ code: CInt) {
        // Binding does not touch the file: a failure is a programming error, as in GRDB.
        precondition(code == SQLITE_OK, "sqlite3_bind failed (\(code))")
    }
}
