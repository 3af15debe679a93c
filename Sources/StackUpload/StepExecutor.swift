import Logging
import PostgresNIO
import StackConfig
import StackCore
import StackPostgres

/// Runs one step on a connection inside the client transaction's Postgres transaction.
///
/// Ownership is enforced in the SQL: PUT upserts only over rows the caller owns, PATCH and DELETE filter on
/// `owner_id`. A step that touches fewer rows than asked is a rejection, which rolls the transaction back.
struct StepExecutor {
    let connection: PostgresConnection
    let userID: String
    let logger: Logger

    func run(_ step: UploadStep) async throws {
        do {
            switch step.kind {
            case .put: try await put(step)
            case .patch: try await patch(step)
            case .delete: try await delete(step)
            }
        } catch let error as PSQLError {
            // Constraint violations and bad data are the client's (permanent); anything else is retried (503).
            guard let state = PostgresErrorText.sqlState(error), state.hasPrefix("23") || state.hasPrefix("22") else {
                throw error
            }
            let message = error.serverInfo?[.message] ?? "database refused the write"
            throw UploadRejection(
                opIndex: step.rows.first?.opIndex ?? 0, code: state.hasPrefix("23") ? "CONSTRAINT_VIOLATION" : "INVALID_DATA",
                message: "\(message) (SQLSTATE \(state)).")
        }
    }

    private func put(_ step: UploadStep) async throws {
        let table = Identifier.quoted(step.table.name)
        let names = (["id", "owner_id"] + step.columns.map(\.name)).map(Identifier.quoted)
        // All rows travel as one jsonb array (keys c0, c1, … in column order): the statement has two parameters
        // whatever the batch size, so Postgres' 65,535-parameter limit never splits a client transaction's PUTs.
        var rows: [JSONValue] = []
        rows.reserveCapacity(step.rows.count)
        for row in step.rows {
            var object: [String: JSONValue] = ["id": .string(row.id)]
            for (index, value) in row.values.enumerated() { object["c\(index)"] = value.jsonText }
            rows.append(.object(object))
        }
        let selects = ["r->>'id'", "$2::text"]
            + step.columns.enumerated().map { index, column in Self.extract("c\(index)", as: column.type) }
        let updates = names.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        // The WHERE makes an upsert over another user's row a no-op (the row is not returned, so it is detected).
        let sql = """
            INSERT INTO \(table) AS t (\(names.joined(separator: ", ")))
            SELECT \(selects.joined(separator: ", ")) FROM jsonb_array_elements($1::text::jsonb) AS r
            ON CONFLICT ("id") DO UPDATE SET \(updates) WHERE t."owner_id" = EXCLUDED."owner_id"
            RETURNING t."id"
            """
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(ValueConverter.encode(.array(rows)))
        bindings.append(userID)
        var written = Set<String>()
        for try await id in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            .decode(String.self)
        {
            written.insert(id)
        }
        if let refused = step.rows.first(where: { !written.contains($0.id) }) {
            throw notOwner(step, opIndex: refused.opIndex)
        }
    }

    /// The SQL reading key `key` of row `r` as `type` (the value is its canonical text, or JSON null for NULL).
    static func extract(_ key: String, as type: ColumnType) -> String {
        let text = "(r->>'\(key)')"
        return switch type {
        case .text: text
        case .integer: "\(text)::bigint"
        case .real: "\(text)::double precision"
        case .boolean: "\(text)::boolean"
        case .timestamp: "to_timestamp(\(text)::double precision)"
        case .json: "\(text)::jsonb"
        }
    }

    private func patch(_ step: UploadStep) async throws {
        let row = step.rows[0]
        guard !step.columns.isEmpty else {
            // Nothing to write (only id/owner_id sent): still refuse another user's row, but write no WAL.
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(row.id)
            bindings.append(userID)
            let sql = "SELECT 1 FROM \(Identifier.quoted(step.table.name)) WHERE \"id\" = $1 AND \"owner_id\" = $2"
            return try await expectOwnedRow(step, sql: sql, bindings: bindings)
        }
        var bindings = PostgresBindings(capacity: step.columns.count + 2)
        bindings.append(row.id)
        bindings.append(userID)
        var assignments: [String] = []
        for (column, value) in zip(step.columns, row.values) {
            assignments.append("\(Identifier.quoted(column.name)) = $\(bindings.count + 1)::\(PostgresDDL.type(column.type))")
            value.bind(to: &bindings)
        }
        let sql = """
            UPDATE \(Identifier.quoted(step.table.name)) SET \(assignments.joined(separator: ", "))
            WHERE "id" = $1 AND "owner_id" = $2 RETURNING 1
            """
        try await expectOwnedRow(step, sql: sql, bindings: bindings)
    }

    private func delete(_ step: UploadStep) async throws {
        let table = Identifier.quoted(step.table.name)
        let sql =
            step.table.hasSoftDelete
            ? #"UPDATE \#(table) SET "deleted_at" = COALESCE("deleted_at", now()) WHERE "id" = $1 AND "owner_id" = $2 RETURNING 1"#
            : #"DELETE FROM \#(table) WHERE "id" = $1 AND "owner_id" = $2 RETURNING 1"#
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(step.rows[0].id)
        bindings.append(userID)
        try await expectOwnedRow(step, sql: sql, bindings: bindings)
    }

    /// Runs a PATCH/DELETE; when it touched nothing, a row of another user is a rejection, a missing row a no-op
    /// (PowerSync's semantics: updating or deleting a row that is gone does nothing).
    private func expectOwnedRow(_ step: UploadStep, sql: String, bindings: PostgresBindings) async throws {
        for try await _ in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
            return
        }
        let exists = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT 1 FROM \(Identifier.quoted(step.table.name)) WHERE \"id\" = $1",
                binds: { var b = PostgresBindings(); b.append(step.rows[0].id); return b }()), logger: logger)
        for try await _ in exists { throw notOwner(step, opIndex: step.rows[0].opIndex) }
    }

    private func notOwner(_ step: UploadStep, opIndex: Int) -> UploadRejection {
        UploadRejection(
            opIndex: opIndex, code: "NOT_OWNER",
            message: "A row of table '\(step.table.name)' with this id belongs to another user; it was not changed.")
    }
}
