import Foundation
import Logging
import PostgresNIO
import StackConfig

/// Keeps the publication covering exactly the synced tables and publishing every kind of change.
public struct PublicationManager: Sendable {
    /// Publication name (a validated identifier).
    public let name: String
    /// The synced tables (schema public).
    public let tables: [String]

    /// Creates a manager.
    public init(name: String, tables: [String]) {
        self.name = name
        self.tables = tables.sorted()
    }

    /// What the publication looks like now.
    public struct State: Sendable, Equatable {
        /// Whether it exists.
        public var exists: Bool
        /// Whether it is FOR ALL TABLES.
        public var allTables: Bool
        /// Published tables of schema public, sorted.
        public var tables: [String]
        /// Whether insert, update, delete and truncate are all published.
        public var publishesEverything: Bool
    }

    /// Reads the publication's state.
    public func state(client: PostgresClient, logger: Logger) async throws -> State {
        let rows = try await client.queryIfOpen(
            "SELECT puballtables, pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = \(name)",
            logger: logger)
        var state = State(exists: false, allTables: false, tables: [], publishesEverything: false)
        for try await (all, everything) in rows.decode((Bool, Bool).self) {
            state.exists = true
            state.allTables = all
            state.publishesEverything = everything
        }
        guard state.exists else { return state }
        let tableRows = try await client.queryIfOpen(
            "SELECT tablename FROM pg_publication_tables WHERE pubname = \(name) AND schemaname = 'public' ORDER BY tablename",
            logger: logger)
        for try await table in tableRows.decode(String.self) { state.tables.append(table) }
        return state
    }

    /// The SQL that makes the publication right (nil when it already is).
    public func fix(for state: State) -> String? {
        let list = tables.map { "public.\(Identifier.quoted($0))" }.joined(separator: ", ")
        let quoted = Identifier.quoted(name)
        if !state.exists {
            return tables.isEmpty ? "CREATE PUBLICATION \(quoted);" : "CREATE PUBLICATION \(quoted) FOR TABLE \(list);"
        }
        var statements: [String] = []
        if state.allTables {
            statements.append("DROP PUBLICATION \(quoted);")
            statements.append(
                tables.isEmpty ? "CREATE PUBLICATION \(quoted);" : "CREATE PUBLICATION \(quoted) FOR TABLE \(list);")
        } else if state.tables != tables {
            statements.append(
                tables.isEmpty
                    ? "ALTER PUBLICATION \(quoted) SET (publish = 'insert, update, delete, truncate');"
                    : "ALTER PUBLICATION \(quoted) SET TABLE \(list);")
            if tables.isEmpty {
                statements.removeAll()
                for table in state.tables {
                    statements.append("ALTER PUBLICATION \(quoted) DROP TABLE public.\(Identifier.quoted(table));")
                }
            }
        }
        if !state.publishesEverything {
            statements.append("ALTER PUBLICATION \(quoted) SET (publish = 'insert, update, delete, truncate');")
        }
        return statements.isEmpty ? nil : statements.joined(separator: " ")
    }

    /// Creates or alters the publication; returns whether anything changed.
    @discardableResult
    public func ensure(client: PostgresClient, logger: Logger) async throws -> Bool {
        let current = try await state(client: client, logger: logger)
        guard let sql = fix(for: current) else { return false }
        try await client.transaction(logger: logger) { connection in
            for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !statement.isEmpty {
                try await connection.queryIfOpen(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        logger.info("publication updated", metadata: ["sync.publication": "\(name)", "sync.tables": "\(tables)"])
        return true
    }
}
