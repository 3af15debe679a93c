import GRDB
import GRDBSQLite

/// A prepared SQLite statement driven through the C API, for the download's per-op statements: binding straight
/// from Swift strings skips GRDB's argument values (an allocation per value), which dominated storing ops.
///
/// Lives inside one GRDB write block on that block's connection; `finalize()` before the block ends.
struct RawStatement {
    // SQLite's "copy the bytes now" destructor, (sqlite3_destructor_type)-1, which Swift does not import.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    private let statement: OpaquePointer
    private let connection: OpaquePointer
    private let sql: String

    /// Prepares `sql` on the connection of `db`.
    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed", sql: sql)
        }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        self.statement = prepared
        self.connection = connection
        self.sql = sql
    }

    /// Binds an integer to the 1-based parameter `index`.
    func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(statement, index, value)
    }

    /// Binds text (or NULL) to the 1-based parameter `index`; SQLite copies the bytes.
    func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(statement, index)
            return
        }
        value.withUTF8 { bytes in
            // An empty buffer may have no base address; SQLite needs a pointer for an empty (non-NULL) text.
            let pointer =
                bytes.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            sqlite3_bind_text(
                statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
        }
    }

    /// Binds text (or NULL) to the 1-based parameter `index` without copying it, for the duration of `body` (which
    /// runs the statement); falls back to a copy when the string has no contiguous UTF-8 storage.
    func withText<R>(_ value: String?, at index: Int32, _ body: () throws -> R) rethrows -> R {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return try body()
        }
        let bound = try value.utf8.withContiguousStorageIfAvailable { bytes in
            let pointer =
                bytes.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            sqlite3_bind_text(statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
            // The bytes are only valid here: never leave them bound.
            defer { sqlite3_bind_null(statement, index) }
            return try body()
        }
        if let bound { return bound }
        bind(value, at: index)
        return try body()
    }

    /// Binds column `column` of `row` (another statement's current result row) to the 1-based parameter `index`
    /// without copying: valid until that statement steps again, so run this one first.
    func bindColumn(_ column: Int32, of row: OpaquePointer, at index: Int32) {
        guard let text = sqlite3_column_text(row, column) else {
            sqlite3_bind_null(statement, index)
            return
        }
        let count = sqlite3_column_bytes(row, column)
        sqlite3_bind_text(statement, index, UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self), count, nil)
    }

    /// Runs the statement once with the current bindings, calling `row` for each result row; then resets it.
    func run(_ row: (OpaquePointer) throws -> Void = { _ in }) throws {
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                    sql: sql)
            }
            try row(statement)
        }
    }

    /// Releases the statement.
    func finalize() {
        sqlite3_finalize(statement)
    }
}
