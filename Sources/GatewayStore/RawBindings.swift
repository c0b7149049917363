import GRDB
import GRDBSQLite

/// Binds values straight onto a prepared statement with the SQLite C API, skipping GRDB's
/// `StatementArguments` (an array of boxed existentials per row): the import binds ≈ 60 values per household.
///
/// The statement is first given empty, unchecked arguments, so that GRDB's own `execute()` / `fetchOne(_:)`
/// (nil arguments) only reset it and keep these bindings, while GRDB still runs and reports the execution
/// (errors, transaction bookkeeping). Every `?` must be bound, in order: `finish()` checks the count.
struct RawBindings {
    private let statement: Statement
    private let handle: OpaquePointer
    private var index: CInt = 0

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        statement.setUncheckedArguments(StatementArguments())  // resets, clears the bindings
        handle = statement.sqliteStatement
    }

    mutating func bind(_ value: String?) {
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

    mutating func bind(_ value: Int64?) {
        index += 1
        guard let value else {
            check(sqlite3_bind_null(handle, index))
            return
        }
        check(sqlite3_bind_int64(handle, index, value))
    }

    mutating func bind(_ value: Int?) { bind(value.map(Int64.init)) }

    mutating func bind(_ value: Bool?) { bind(value.map { $0 ? Int64(1) : 0 }) }

    /// Checks that every parameter was bound; returns the statement, ready for `execute()` or a fetch.
    func finish() -> Statement {
        precondition(index == sqlite3_bind_parameter_count(handle), "statement parameters left unbound")
        return statement
    }

    private func check(_ code: CInt) {
        // Binding does not touch the file: a failure is a programming error, as in GRDB.
        precondition(code == SQLITE_OK, "sqlite3_bind failed (\(code))")
    }
}
