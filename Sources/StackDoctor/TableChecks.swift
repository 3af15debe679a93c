import StackConfig
import StackPostgres

/// Per synced table: id text primary key, indexed owner_id, usable replica identity, and column drift.
enum TableChecks {
    static func evaluate(config: AppSchema, live: LiveSchema) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        for table in config.syncedTables {
            let quoted = "public.\(Identifier.quoted(table.name))"
            guard let liveTable = live.tables[table.name] else {
                checks.append(
                    DoctorCheck(
                        group: "tables", name: "\(table.name) exists", status: .error, observed: "missing",
                        fix: "stack up creates it (or: stack schema --format pg-sql | psql DATABASE_URL)"))
                continue
            }
            let idColumn = liveTable.columns.first { $0.name == "id" }
            let idOK = liveTable.primaryKey == ["id"] && idColumn?.type == "text"
            checks.append(
                DoctorCheck(
                    group: "tables", name: "\(table.name) has an id text primary key", status: idOK ? .ok : .error,
                    observed:
                        "primary key (\(liveTable.primaryKey.joined(separator: ", "))), id is \(idColumn?.type ?? "missing")",
                    fix: idColumn == nil
                        ? "ALTER TABLE \(quoted) ADD COLUMN \"id\" text PRIMARY KEY DEFAULT gen_random_uuid()::text;"
                        : "ALTER TABLE \(quoted) ALTER COLUMN \"id\" TYPE text; ALTER TABLE \(quoted) ADD PRIMARY KEY (\"id\");  "
                            + "(sync needs a single text id; keep composite uniqueness in a unique index)"))
            let ownerIndexed = liveTable.indexedColumnLists.contains { $0.first == "owner_id" }
            checks.append(
                DoctorCheck(
                    group: "tables", name: "\(table.name).owner_id indexed", status: ownerIndexed ? .ok : .error,
                    observed: ownerIndexed
                        ? "yes"
                        : (liveTable.columns.contains { $0.name == "owner_id" } ? "no index" : "no owner_id column"),
                    fix: "CREATE INDEX IF NOT EXISTS \"idx_\(table.name)_owner_id\" ON \(quoted) (\"owner_id\");"))
            checks.append(replicaIdentity(table: table.name, live: liveTable, quoted: quoted))
        }
        return checks
    }

    private static func replicaIdentity(table: String, live: LiveSchema.Table, quoted: String) -> DoctorCheck {
        let name = "\(table) replica identity usable"
        switch live.replicaIdentity {
        case "d" where !live.primaryKey.isEmpty:
            return DoctorCheck(group: "tables", name: name, status: .ok, observed: "default (primary key)")
        case "d":
            return DoctorCheck(
                group: "tables", name: name, status: .error, observed: "default, but the table has no primary key",
                fix: "ALTER TABLE \(quoted) ADD PRIMARY KEY (\"id\");")
        case "f":
            return DoctorCheck(
                group: "tables", name: name, status: .ok,
                observed: "full (works; every update is sent as remove + put)")
        case "i":
            return DoctorCheck(group: "tables", name: name, status: .ok, observed: "index")
        default:
            return DoctorCheck(
                group: "tables", name: name, status: .error,
                observed:
                    "nothing (updates and deletes cannot be replicated; Postgres rejects them on published tables)",
                fix: "ALTER TABLE \(quoted) REPLICA IDENTITY DEFAULT;")
        }
    }

    /// Differences between the config's columns and Postgres, one check per column.
    static func drift(config: AppSchema, live: LiveSchema) -> [DoctorCheck] {
        let present = AppSchema(tables: config.syncedTables.filter { live.tables[$0.name] != nil })
        let diff = SchemaDiff.compute(config: present, live: live)
        let columnChanges = (diff.additive.map { ($0, true) } + diff.reported.map { ($0, false) }).filter {
            $0.0.column != nil
        }
        guard !columnChanges.isEmpty else {
            let total = config.syncedTables.count
            // Missing tables are errors of their own above; "0 synced tables match" would read as a pass.
            guard present.tables.count == total else {
                return [
                    DoctorCheck(
                        group: "tables", name: "schema matches the config",
                        status: present.tables.isEmpty ? .skipped : .ok,
                        observed: present.tables.isEmpty
                            ? "none of the \(total) synced tables exists yet, nothing to compare"
                            : "\(present.tables.count) of \(total) synced tables exist, every column as configured",
                        fix: present.tables.isEmpty ? "stack up creates them" : nil)
                ]
            }
            return [
                DoctorCheck(
                    group: "tables", name: "schema matches the config", status: .ok,
                    observed: "\(total) synced tables, every column as configured")
            ]
        }
        return columnChanges.map { change, additive in
            DoctorCheck(
                group: "tables", name: "\(change.table).\(change.column!) matches the config",
                status: additive ? .warning : .error, observed: change.summary,
                fix: additive ? change.sql + "  (stack up applies this)" : change.sql + "  (check the data first)")
        }
    }
}
