import CLibPQ
import StackCore
import StackPostgres

/// `COPY (…) TO STDOUT` through libpq: the fastest way Postgres hands out rows, the baseline of the sync figure.
enum CopyOut {
    /// Runs the copy and returns (rows, bytes) received.
    static func run(_ url: DatabaseURL, query: String) throws -> (rows: Int, bytes: Int) {
        guard let connection = PQconnectdb(url.conninfo()) else {
            throw StackError("STACK-M002", "libpq: out of memory")
        }
        defer { PQfinish(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw StackError("STACK-M002", "cannot connect for COPY: \(String(cString: PQerrorMessage(connection)))")
        }
        let result = PQexec(connection, "COPY (\(query)) TO STDOUT")
        guard PQresultStatus(result) == PGRES_COPY_OUT else {
            let message = String(cString: PQerrorMessage(connection))
            PQclear(result)
            throw StackError("STACK-M002", "COPY failed: \(message)")
        }
        PQclear(result)
        var rows = 0
        var bytes = 0
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(connection, &buffer, 0)
            if length > 0 {
                rows += 1
                bytes += Int(length)
                PQfreemem(buffer)
            } else {
                break
            }
        }
        while let final = PQgetResult(connection) { PQclear(final) }
        return (rows, bytes)
    }
}
