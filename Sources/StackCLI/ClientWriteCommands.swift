import ArgumentParser
import Foundation
import GRDB
import StackClient
import StackConfig
import StackCore

extension ClientCommand {
    /// `stack client insert TABLE col=value …`: prints the new row's id.
    struct Insert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert a row locally (queued for upload unless the table is local-only); prints its id.",
            discussion: HelpText.reflow(
                """
                The id is a new UUID v4 unless id=… is given. created_at, updated_at and device_id are filled when the
                table has them; columns with a config default get it. Values follow the column type: integers, reals,
                booleans as true/false/1/0, JSON validated, text as is; col= (empty) is NULL.
                """))

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Argument(help: "Table name from the config schema.") var table: String
        @Argument(help: "Values as col=value.") var values: [String] = []

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let schema = try device.table(table)
                var row = try ClientValues.parse(values, table: schema, allowID: true)
                let database = try device.open()
                let now = ClientValues.now()
                let clientID = try database.clientID()
                for column in schema.columns where !row.contains(where: { $0.0 == column.name }) {
                    let filled: DatabaseValue? =
                        switch column.name {
                        case "id": UUID().uuidString.lowercased().databaseValue
                        case "created_at", "updated_at": now.databaseValue
                        case "device_id": clientID.databaseValue
                        default: ClientValues.defaultValue(column, now: now)
                        }
                    if let filled { row.append((column.name, filled)) }
                }
                try ClientValues.checkRequired(row, table: schema)
                let id = row.first { $0.0 == "id" }?.1
                let columns = row.map { Identifier.quoted($0.0) }.joined(separator: ", ")
                let placeholders = databaseQuestionMarks(count: row.count)
                try database.write { db in
                    if let id, let text = String.fromDatabaseValue(id),
                        try ClientCommand.rowExists(db, table: schema.name, id: text)
                    {
                        throw ClientCommand.duplicateRow(table: schema.name, id: text)
                    }
                    try db.execute(
                        sql: "INSERT INTO \(Identifier.quoted(schema.name)) (\(columns)) VALUES (\(placeholders))",
                        arguments: StatementArguments(row.map(\.1)))
                }
                Console.out(id.map(ClientValues.cell) ?? "")
            }
        }
    }

    /// `stack client update TABLE ID col=value …`.
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change columns of a row locally (queued as a PATCH of the changed columns).",
            discussion: "updated_at is set to now when the table has it and it is not given.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Argument(help: "Table name from the config schema.") var table: String
        @Argument(help: "Row id.") var id: String
        @Argument(help: "Values as col=value.") var values: [String] = []

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let schema = try device.table(table)
                var row = try ClientValues.parse(values, table: schema, allowID: false)
                guard !row.isEmpty else {
                    throw StackError("STACK-K107", "nothing to change: give at least one col=value.")
                }
                try ClientValues.checkNotNull(row, table: schema)
                if schema.column(named: "updated_at") != nil, !row.contains(where: { $0.0 == "updated_at" }) {
                    row.append(("updated_at", ClientValues.now().databaseValue))
                }
                let assignments = row.map { Identifier.quoted($0.0) + " = ?" }.joined(separator: ", ")
                let changed = try device.open().write { db in
                    // changes() counts nothing for a view's INSTEAD OF trigger, so look the row up first.
                    guard try ClientCommand.rowExists(db, table: schema.name, id: id) else { return false }
                    try db.execute(
                        sql: "UPDATE \(Identifier.quoted(schema.name)) SET \(assignments) WHERE id = ?",
                        arguments: StatementArguments(row.map(\.1) + [id.databaseValue]))
                    return true
                }
                guard changed else { throw ClientCommand.noRow(table: schema.name, id: id) }
                Console.out("updated \(schema.name) \(id)")
            }
        }
    }

    /// `stack client delete TABLE ID`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a row locally (queued as a DELETE unless the table is local-only).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Argument(help: "Table name from the config schema.") var table: String
        @Argument(help: "Row id.") var id: String

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let schema = try device.table(table)
                let changed = try device.open().write { db in
                    guard try ClientCommand.rowExists(db, table: schema.name, id: id) else { return false }
                    try db.execute(sql: "DELETE FROM \(Identifier.quoted(schema.name)) WHERE id = ?", arguments: [id])
                    return true
                }
                guard changed else { throw ClientCommand.noRow(table: schema.name, id: id) }
                Console.out("deleted \(schema.name) \(id)")
            }
        }
    }

    /// Whether `table` (a schema table, quoted here) has a row with this id.
    static func rowExists(_ db: Database, table: String, id: String) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS(SELECT 1 FROM \(Identifier.quoted(table)) WHERE id = ?)", arguments: [id]) ?? false
    }

    /// The error for an insert whose id is taken on the device.
    static func duplicateRow(table: String, id: String) -> StackError {
        StackError(
            "STACK-K113",
            "a \(table) row with id \(id) already exists on this device; change it with "
                + "`stack client update \(table) \(id) col=value …`.")
    }

    /// The error for an update/delete whose row is not on the device.
    static func noRow(table: String, id: String) -> StackError {
        StackError("STACK-K108", "no row of \(table) has id \(id) on this device. See `stack client ls \(table)`.")
    }
}
