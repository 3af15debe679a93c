import Logging
import PostgresNIO
import StackConfig

/// Writes generated rows into the config's tables: one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`
/// per table and chunk, every value bound, names only from the config schema.
struct SeedWriter: Sendable {
    /// Inserted and already present rows of one table.
    struct Outcome: Sendable {
        var inserted = 0
        var existing = 0
    }

    private let statements: [String: String]
    let client: PostgresClient
    let logger: Logger

    /// A writer for `schema`; throws when a generated table or column is missing from it.
    init(schema: AppSchema, client: PostgresClient, logger: Logger) throws {
        statements = try Self.statements(schema: schema)
        self.client = client
        self.logger = logger
    }

    /// The problems that keep `schema` from receiving the generated rows, in one list.
    static func problems(schema: AppSchema) -> [String] {
        var problems: [String] = []
        for (name, columns) in SeedTables.all {
            guard let table = schema.table(named: name), !table.localOnly else {
                problems.append("no synced table \(name)")
                continue
            }
            for column in columns where table.column(named: column) == nil {
                problems.append("\(name) has no column \(column)")
            }
            for column in table.columns where !columns.contains(column.name) {
                if PostgresDDL.isNotNull(column) && column.defaultValue == nil {
                    problems.append(
                        "\(name).\(column.name) is NOT NULL without a default, and seed has no value for it")
                }
            }
        }
        return problems
    }

    private static func statements(schema: AppSchema) throws -> [String: String] {
        let problems = problems(schema: schema)
        guard problems.isEmpty else { throw SeedError.schemaMismatch(problems, config: "the config") }
        var statements: [String: String] = [:]
        for (name, columns) in SeedTables.all {
            let table = schema.table(named: name)!
            let names = columns.map(Identifier.quoted).joined(separator: ", ")
            // Values travel as text[] and are cast to the column's Postgres type; aliases are fixed (c0, c1, …).
            let casts = columns.enumerated().map { index, column in
                "u.c\(index)::\(PostgresDDL.type(table.column(named: column)!.type))"
            }.joined(separator: ", ")
            let arrays = columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
            let aliases = columns.indices.map { "c\($0)" }.joined(separator: ", ")
            // No conflict target: a clash on the id or on a unique pair (document_id, version) both mean "there".
            statements[name] = """
                WITH inserted AS (
                  INSERT INTO public.\(Identifier.quoted(name)) (\(names))
                  SELECT \(casts) FROM unnest(\(arrays)) AS u(\(aliases))
                  ON CONFLICT DO NOTHING RETURNING 1)
                SELECT count(*)::bigint FROM inserted
                """
        }
        return statements
    }

    /// Inserts one chunk in one transaction; returns inserted/existing counts per table.
    func write(_ chunk: [SeedRows]) async throws -> [String: Outcome] {
        try await client.transaction(logger: logger) { connection in
            // Seeding is repeatable (idempotent), so a crash losing the last chunks costs a rerun, not data:
            // skip the WAL flush wait at each chunk's commit.
            try await connection.queryIfOpen("SET LOCAL synchronous_commit = off", logger: logger)
            var outcomes: [String: Outcome] = [:]
            for rows in chunk where !rows.rows.isEmpty {
                var bindings = PostgresBindings(capacity: rows.columns.count)
                for index in rows.columns.indices { try bindings.append(TextArray(values: rows.column(index))) }
                let query = PostgresQuery(unsafeSQL: statements[rows.table]!, binds: bindings)
                var inserted = 0
                for try await count in try await connection.queryIfOpen(query, logger: logger).decode(Int64.self) {
                    inserted = Int(count)
                }
                outcomes[rows.table, default: Outcome()].inserted += inserted
                outcomes[rows.table, default: Outcome()].existing += rows.rows.count - inserted
            }
            return outcomes
        }
    }
}
