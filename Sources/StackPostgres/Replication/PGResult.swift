import CLibPQ
import Foundation

/// A libpq result that is cleared when released; used only on the thread of its connection.
final class PGResult {
    /// The owned `PGresult`.
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`.
    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    /// Runs a command with `PQexec` and throws a mapped error unless the status is `expect`.
    static func exec(_ connection: OpaquePointer, _ command: String, expect: ExecStatusType) throws -> PGResult {
        let verb = String(command.prefix { $0 != " " })
        guard let pointer = PQexec(connection, command) else {
            throw ReplicationConnectionError.commandFailed(
                verb, detail: PGResult.connectionMessage(connection), sqlState: nil)
        }
        let result = PGResult(pointer)
        guard PQresultStatus(pointer) == expect else {
            throw result.error(verb)
        }
        return result
    }

    /// Number of rows.
    var rows: Int { Int(PQntuples(pointer)) }

    /// The text of a cell, nil when NULL or out of range.
    func value(_ row: Int, _ column: Int) -> String? {
        guard row < rows, column < Int(PQnfields(pointer)), PQgetisnull(pointer, Int32(row), Int32(column)) == 0,
            let text = PQgetvalue(pointer, Int32(row), Int32(column))
        else { return nil }
        return String(cString: text)
    }

    /// The result's error mapped to a stable code.
    func error(_ verb: String) -> ReplicationConnectionError {
        let state = PQresultErrorField(pointer, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let primary = PQresultErrorField(pointer, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let status = String(cString: PQresStatus(PQresultStatus(pointer)))
        return .commandFailed(verb, detail: primary ?? "unexpected result \(status)", sqlState: state)
    }

    /// The connection's last error message, trimmed (libpq never includes the password in it).
    static func connectionMessage(_ connection: OpaquePointer) -> String {
        guard let message = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
