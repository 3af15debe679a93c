import CLibPQ
import Foundation

/// A plain (non-replication) libpq connection for test setup and writes.
final class SQLSession {
    private let connection: OpaquePointer

    init(url: String) throws {
        guard let connection = PQconnectdb(url), PQstatus(connection) == CONNECTION_OK else {
            throw SQLSessionError(message: "connect failed")
        }
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    func execute(_ sql: String) throws {
        guard let result = PQexec(connection, sql) else { throw SQLSessionError(message: "no result") }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw SQLSessionError(message: String(cString: PQresultErrorMessage(result)))
        }
    }

    func value(_ sql: String) throws -> String? {
        guard let result = PQexec(connection, sql) else { throw SQLSessionError(message: "no result") }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw SQLSessionError(message: String(cString: PQresultErrorMessage(result)))
        }
        guard PQntuples(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return String(cString: PQgetvalue(result, 0, 0))
    }
}

struct SQLSessionError: Error {
    let message: String
}
