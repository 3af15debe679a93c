import StackPostgres

/// The publication must exist, cover exactly the synced tables and publish every kind of change.
enum PublicationCheck {
    static func evaluate(_ state: PublicationManager.State, manager: PublicationManager) -> DoctorCheck {
        let name = "publication \(manager.name) covers the synced tables"
        guard let fix = manager.fix(for: state) else {
            return DoctorCheck(
                group: "publication", name: name, status: .ok, observed: manager.tables.joined(separator: ", "))
        }
        let observed: String
        if !state.exists {
            observed = "missing"
        } else if state.allTables {
            observed = "FOR ALL TABLES (publishes more than the synced tables)"
        } else if state.tables != manager.tables {
            let missing = Set(manager.tables).subtracting(state.tables).sorted()
            let extra = Set(state.tables).subtracting(manager.tables).sorted()
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("extra \(extra.joined(separator: ", "))") }
            observed = parts.joined(separator: "; ")
        } else {
            observed = "does not publish all of insert, update, delete, truncate"
        }
        return DoctorCheck(
            group: "publication", name: name, status: .error, observed: observed,
            fix: fix + "  (stack up also does this)")
    }
}
