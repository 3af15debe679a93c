import GRDB
import StackCore

/// SQLite errors of a device database in `stack client`'s words: GRDB's text (`SQLite error 19: UNIQUE constraint
/// failed: ps_data__documents.id - while executing …`) names storage tables and the generated SQL.
enum ClientSQLError {
    /// A coded error with a message for the console.
    static func coded(_ error: DatabaseError) -> StackError {
        let message = error.message ?? "unknown error"
        // RAISE() in the views' triggers: the message was written for the user (e.g. a NULL in a required column).
        if error.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER {
            return StackError("STACK-K112", message)
        }
        if error.resultCode == .SQLITE_CONSTRAINT, let table = duplicateIDTable(message) {
            return StackError(
                "STACK-K113",
                "a \(table) row with this id already exists on this device; change it with UPDATE (or "
                    + "`stack client update \(table) ID col=value …`) instead of inserting it again.")
        }
        return StackError("STACK-K114", "the device's SQLite database reported: \(message).")
    }

    /// The app table of `UNIQUE constraint failed: ps_data__<table>.id` (or `<table>.id` for a local-only table).
    static func duplicateIDTable(_ message: String) -> String? {
        let prefix = "UNIQUE constraint failed: "
        guard message.hasPrefix(prefix), message.hasSuffix(".id") else { return nil }
        let table = message.dropFirst(prefix.count).dropLast(".id".count)
        guard !table.isEmpty, !table.contains(",") else { return nil }
        return String(table.hasPrefix("ps_data__") ? table.dropFirst("ps_data__".count) : table)
    }
}
