import Logging
import PostgresNIO

/// The server settings doctor looks at.
struct ServerSettings {
    var versionNumber = 0
    var version = ""
    var walLevel = ""
    var maxReplicationSlots = 0
    var maxWALSenders = 0
    var maxSlotWALKeepSize = ""
    var maxSlotWALKeepSizeMB = 0
    var isSuperuser = false
    var canReplicate = false
    var role = ""
    var usedSlots = 0

    static func read(client: PostgresClient, logger: Logger) async throws -> ServerSettings {
        var settings = ServerSettings()
        let rows = try await client.query(
            """
            SELECT name, setting, coalesce(unit, '') FROM pg_settings
            WHERE name IN ('server_version_num', 'server_version', 'wal_level', 'max_replication_slots',
                           'max_wal_senders', 'max_slot_wal_keep_size')
            """, logger: logger)
        for try await (name, setting, unit) in rows.decode((String, String, String).self) {
            switch name {
            case "server_version_num": settings.versionNumber = Int(setting) ?? 0
            case "server_version": settings.version = setting
            case "wal_level": settings.walLevel = setting
            case "max_replication_slots": settings.maxReplicationSlots = Int(setting) ?? 0
            case "max_wal_senders": settings.maxWALSenders = Int(setting) ?? 0
            default:
                settings.maxSlotWALKeepSizeMB = Int(setting) ?? -1
                settings.maxSlotWALKeepSize = setting == "-1" ? "-1" : setting + unit
            }
        }
        let roles = try await client.query(
            "SELECT current_user::text, rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user",
            logger: logger)
        for try await (role, superuser, replication) in roles.decode((String, Bool, Bool).self) {
            settings.role = role
            settings.isSuperuser = superuser
            settings.canReplicate = replication
        }
        let slots = try await client.query("SELECT count(*)::int FROM pg_replication_slots", logger: logger)
        for try await count in slots.decode(Int.self) { settings.usedSlots = count }
        return settings
    }
}

/// Server-level checks: version, WAL settings, replication privileges.
enum ServerChecks {
    static func evaluate(_ s: ServerSettings, isManaged: Bool) -> [DoctorCheck] {
        let restart = isManaged ? "stack down && stack up" : "restart Postgres"
        var checks: [DoctorCheck] = []
        checks.append(
            DoctorCheck(
                group: "postgres", name: "version ≥ 14", status: s.versionNumber >= 140_000 ? .ok : .error,
                observed: s.version,
                fix: "upgrade Postgres to 14 or newer (logical messages and pgoutput v1 are needed)"))
        checks.append(
            DoctorCheck(
                group: "postgres", name: "wal_level = logical", status: s.walLevel == "logical" ? .ok : .error,
                observed: s.walLevel, fix: "ALTER SYSTEM SET wal_level = logical; then \(restart)"))
        // One slot per replication stream, plus one so changed sync rules can build the next stream.
        let slotsNeeded = s.usedSlots + 2
        checks.append(
            DoctorCheck(
                group: "postgres", name: "max_replication_slots sufficient",
                status: s.maxReplicationSlots == 0 ? .error : (s.maxReplicationSlots < slotsNeeded ? .warning : .ok),
                observed: "\(s.maxReplicationSlots) (\(s.usedSlots) in use, stack needs \(slotsNeeded))",
                fix: "ALTER SYSTEM SET max_replication_slots = \(max(10, slotsNeeded)); then \(restart)"))
        checks.append(
            DoctorCheck(
                group: "postgres", name: "max_wal_senders sufficient",
                status: s.maxWALSenders == 0 ? .error : (s.maxWALSenders < 2 ? .warning : .ok),
                observed: "\(s.maxWALSenders)", fix: "ALTER SYSTEM SET max_wal_senders = 10; then \(restart)"))
        checks.append(
            DoctorCheck(
                group: "postgres", name: "role can replicate", status: s.isSuperuser || s.canReplicate ? .ok : .error,
                observed: "\(s.role): "
                    + (s.isSuperuser ? "superuser" : (s.canReplicate ? "REPLICATION" : "no REPLICATION attribute")),
                fix: "ALTER ROLE \"\(s.role)\" WITH REPLICATION;  (run as a superuser)"))
        checks.append(
            DoctorCheck(
                group: "postgres", name: "max_slot_wal_keep_size set",
                status: s.maxSlotWALKeepSize == "-1" ? .warning : .ok,
                observed: s.maxSlotWALKeepSize == "-1"
                    ? "-1 (unlimited: a stopped stack lets WAL fill the disk)" : s.maxSlotWALKeepSize,
                fix: "ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'; SELECT pg_reload_conf();"))
        return checks
    }
}
