import Foundation
import Logging
import PostgresNIO

/// A replication slot as pg_replication_slots shows it.
struct SlotInfo {
    var name: String
    var plugin: String
    var active: Bool
    var walStatus: String
    var retainedBytes: Int64
}

/// Replication slots: active, lag, and inactive stack/PowerSync slots holding WAL.
enum SlotChecks {
    static func read(client: PostgresClient, logger: Logger) async throws -> [SlotInfo] {
        let rows = try await client.query(
            """
            SELECT slot_name::text, coalesce(plugin::text, ''), active, coalesce(wal_status, ''),
                   coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
            FROM pg_replication_slots WHERE database = current_database() OR database IS NULL ORDER BY slot_name
            """, logger: logger)
        var slots: [SlotInfo] = []
        for try await (name, plugin, active, status, retained) in rows.decode(
            (String, String, Bool, String, Int64).self)
        {
            slots.append(
                SlotInfo(name: name, plugin: plugin, active: active, walStatus: status, retainedBytes: retained))
        }
        return slots
    }

    static func evaluate(_ slots: [SlotInfo], settings: ServerSettings, lagWarningBytes: Int64) -> [DoctorCheck] {
        let ours = slots.filter { $0.name.hasPrefix("stack_") || $0.name.hasPrefix("powersync_") }
        guard !ours.isEmpty else {
            return [
                DoctorCheck(
                    group: "replication", name: "replication slots", status: .ok,
                    observed: "none yet (stack up creates one when replication starts)")
            ]
        }
        return ours.map { slot in
            let name = "slot \(slot.name)"
            let size = format(bytes: slot.retainedBytes)
            if slot.walStatus == "lost" {
                return DoctorCheck(
                    group: "replication", name: name, status: .error,
                    observed: "lost (WAL beyond max_slot_wal_keep_size was removed)",
                    fix:
                        "stack up rebuilds the stream from a new slot; or drop it: SELECT pg_drop_replication_slot('\(slot.name)');"
                )
            }
            if !slot.active {
                return DoctorCheck(
                    group: "replication", name: name, status: .warning,
                    observed: "inactive, holding \(size) of WAL",
                    fix:
                        "start the stack (stack up), or if this slot is stale: SELECT pg_drop_replication_slot('\(slot.name)');"
                )
            }
            if slot.retainedBytes > lagWarningBytes {
                return DoctorCheck(
                    group: "replication", name: name, status: .warning,
                    observed: "active, lagging \(size) behind (threshold \(format(bytes: lagWarningBytes)))",
                    fix: "check the stack's logs (stack up --verbose); replication is slower than the write rate")
            }
            return DoctorCheck(group: "replication", name: name, status: .ok, observed: "active, lag \(size)")
        }
    }

    static func format(bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
