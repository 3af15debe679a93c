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
    /// A client transaction's idempotency key besides the user: stored with its writes, in the same transaction.
    struct Marker {
        let clientID: String
        let opID: String
    }

    let connection: PostgresConnection
    let userID: String
    let logger: Logger

    /// Records `marker` and runs `steps`; false (nothing written) when the marker exists: applied before. Without a
    /// marker (no client id: nothing tells two devices' op ids apart) the steps always run.
    func apply(_ steps: [UploadStep], marker: Marker?) async throws -> Bool {
        guard let marker else {
            for step in steps { try await run(step) }
            return true
        }
        guard let first = steps.first, first.kind == .put else {
            guard try await mark(marker) else { return false }
            for step in steps { try await run(step) }
            return true
        }
        // The marker rides in the first upsert: one round trip less per client transaction.
        guard try await run(first, marker: marker) else { return false }
        for step in steps.dropFirst() { try await run(step) }
        return true
    }

    /// Inserts the marker; false when it was already there.
    private func mark(_ marker: Marker) async throws -> Bool {
        let rows = try await connection.queryIfOpen(
            """
            INSERT INTO stack_upload.applied_transactions (user_id, client_id, op_id)
            VALUES (\(userID), \(marker.clientID), \(marker.opID)) ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Runs `step` (a PUT records `marker` in the same statement); false when the marker existed.
    @discardableResult
    private func run(_ step: UploadStep, marker: Marker? = nil) async throws -> Bool {
        do {
            switch step.kind {
            case .put: return try await put(step, marker: marker)
            case .patch: try await patch(step)
            case .delete: try await delete(step)
            }
            return true
        } catch let error as PSQLError {
            // Constraint violations and bad data are the client's (permanent); anything else is retried (503).
            guard let state = PostgresErrorText.sqlState(error), state.hasPrefix("23") || state.hasPrefix("22") else {
                throw error
            }
            // A multi-row statement cannot say which row failed: the caller re-runs the transaction row by row.
            guard step.rows.count == 1 else { throw BatchRefused() }
            let message = error.serverInfo?[.message] ?? "database refused the write"
            throw UploadRejection(
                opIndex: step.rows.first?.opIndex ?? 0,
                code: state.hasPrefix("23") ? "CONSTRAINT_VIOLATION" : "INVALID_DATA",
                message: "\(message) (SQLSTATE \(state)).")
        }
    }

    private func put(_ step: UploadStep, marker: Marker?) async throws -> Bool {
        let table = Identifier.quoted(step.table.name)
        let names = (["id", "owner_id"] + step.columns.map(\.name)).map(Identifier.quoted)
        // One array per column, unnested into rows: columns + 2 parameters whatever the number of rows.
        var bindings = PostgresBindings(capacity: step.columns.count + 4)
        bindings.append(ColumnArray(ids: step.rows.map { $0.id }))
        bindings.append(userID)
        var arrays = ["$1"]
        var selects = ["r.c", "$2::text"]
        for (index, column) in step.columns.enumerated() {
            bindings.append(ColumnArray(step.rows.map { $0.values[index] }, type: column.type))
            arrays.append("$\(bindings.count)")
            selects.append(ColumnArray.select("r.c\(index)", as: column.type))
        }
        var marking = "SELECT 1"
        if let marker {
            bindings.append(marker.clientID)
            bindings.append(marker.opID)
            marking = """
                INSERT INTO stack_upload.applied_transactions (user_id, client_id, op_id)
                  VALUES ($2, $\(bindings.count - 1), $\(bindings.count)) ON CONFLICT DO NOTHING RETURNING 1
                """
        }
        let aliases = ["c"] + step.columns.indices.map { "c\($0)" }
        let updates = names.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        // Rows are written only when the marker is new. The WHERE of the update makes an upsert over another user's
        // row a no-op: that row is not counted, so it is detected.
        let sql = """
            WITH marker AS (\(marking)),
            written AS (
              INSERT INTO \(table) AS t (\(names.joined(separator: ", ")))
              SELECT \(selects.joined(separator: ", "))
              FROM unnest(\(arrays.joined(separator: ", "))) AS r(\(aliases.joined(separator: ", ")))
              WHERE EXISTS (SELECT 1 FROM marker)
              ON CONFLICT ("id") DO UPDATE SET \(updates) WHERE t."owner_id" = EXCLUDED."owner_id"
              RETURNING 1)
            SELECT (SELECT count(*) FROM marker)::bigint, (SELECT count(*) FROM written)::bigint
            """
        var (fresh, written) = (0, 0)
        let counted = try await connection.queryIfOpen(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        for try await counts in counted.decode((Int, Int).self) { (fresh, written) = counts }
        guard fresh > 0 else { return false }
        guard written < step.rows.count else { return true }
        // Some row belongs to another user (ids are unique within a step): name the first one in op order.
        var lookup = PostgresBindings(capacity: 2)
        lookup.append(ColumnArray(ids: step.rows.map { $0.id }))
        lookup.append(userID)
        let foreignRows = try await connection.queryIfOpen(
            PostgresQuery(
                unsafeSQL: "SELECT \"id\" FROM \(table) WHERE \"id\" = ANY($1) AND \"owner_id\" <> $2", binds: lookup),
            logger: logger)
        var foreign = Set<String>()
        for try await id in foreignRows.decode(String.self) { foreign.insert(id) }
        throw notOwner(step, opIndex: step.rows.first { foreign.contains($0.id) }?.opIndex ?? step.rows[0].opIndex)
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
            assignments.append(
                "\(Identifier.quoted(column.name)) = $\(bindings.count + 1)::\(PostgresDDL.type(column.type))")
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
        for try await _ in try await connection.queryIfOpen(
            PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
        {
            return
        }
        let exists = try await connection.queryIfOpen(
            PostgresQuery(
                unsafeSQL: "SELECT 1 FROM \(Identifier.quoted(step.table.name)) WHERE \"id\" = $1",
                binds: {
                    var b = PostgresBindings(); b.append(step.rows[0].id); return b
                }()), logger: logger)
        for try await _ in exists { throw notOwner(step, opIndex: step.rows[0].opIndex) }
    }

    private func notOwner(_ step: UploadStep, opIndex: Int) -> UploadRejection {
        UploadRejection(
            opIndex: opIndex, code: "NOT_OWNER",
            message: "A row of table '\(step.table.name)' with this id belongs to another user; it was not changed.")
    }
}

/// A multi-row step was refused by a constraint or bad data; which op caused it needs a row-by-row run.
struct BatchRefused: Error {}
