import ArgumentParser
import Foundation
import GRDB
import StackClient
import StackConfig
import StackCore

extension ClientCommand {
    /// `stack client ls TABLE [--json] [--all]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List a table's rows on this device (aligned table, or --json).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Argument(help: "Table name from the config schema.") var table: String
        @Flag(name: .long, help: "Print a JSON array of row objects.") var json = false
        @Flag(name: .long, help: "Include soft-deleted rows (deleted_at set), which are left out by default.")
        var all = false

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let schema = try device.table(table)
                let order = schema.column(named: "created_at") != nil ? "created_at, id" : "id"
                let table = Identifier.quoted(schema.name)
                // Soft-deleted rows are gone as far as the app is concerned (it filters them): so here too, unless
                // asked, with a note saying how many.
                let softDelete = schema.column(named: "deleted_at") != nil && !all
                let (result, hidden) = try device.open().read { db in
                    let rows = try ClientRows.fetch(
                        db,
                        sql: "SELECT * FROM \(table)\(softDelete ? " WHERE deleted_at IS NULL" : "") ORDER BY \(order)")
                    let hidden =
                        softDelete
                        ? try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE deleted_at IS NOT NULL") ?? 0
                        : 0
                    return (rows, hidden)
                }
                ClientRows.print(result, json: json)
                if hidden > 0, !json { Console.error("(\(hidden) soft-deleted row(s) not shown; --all shows them)") }
            }
        }
    }

    /// `stack client query "SQL" [--json]`.
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run SQL on the device database and print the rows (aligned table, or --json).",
            discussion: HelpText.reflow(
                """
                Writes to synced tables through this command are queued for upload like any other write. Several
                statements separated by ; run in order in one transaction (all or none), and the rows of the last
                one are printed, as psql -c does.
                """))

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Argument(help: "SQL: one statement, or several separated by ;.") var sql: String
        @Flag(name: .long, help: "Print a JSON array of row objects.") var json = false

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let result = try device.open().write { db in try ClientRows.fetch(db, sql: sql) }
                ClientRows.print(result, json: json)
            }
        }
    }
}

/// Rows of a query with their column names, printed as an aligned table or JSON.
struct ClientRows {
    /// Column names in result order.
    var columns: [String]
    /// Values per row, in column order.
    var rows: [[DatabaseValue]]

    /// Runs `sql` and collects every row; of several statements each runs in order and the last one's rows count.
    static func fetch(_ db: Database, sql: String) throws -> ClientRows {
        var result = ClientRows(columns: [], rows: [])
        // Each statement is compiled only after the previous one ran, so a later one may use a table an earlier
        // one created.
        let statements = try db.allStatements(sql: sql)
        while let statement = try statements.next() {
            let rows = try Row.fetchAll(statement)
            result = ClientRows(columns: statement.columnNames, rows: rows.map { row in Array(row.databaseValues) })
        }
        return result
    }

    /// Prints the rows: `--json` as an array of objects, else an aligned table with a row count.
    static func print(_ result: ClientRows, json: Bool) {
        if json {
            Console.json(
                result.rows.map { values in
                    Dictionary(
                        zip(result.columns, values.map(ClientValues.json)), uniquingKeysWith: { first, _ in first })
                })
            return
        }
        let cells = result.rows.map { $0.map(ClientValues.cell) }
        var widths = result.columns.map(\.count)
        for row in cells {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        if !result.columns.isEmpty {
            Console.out(line(result.columns))
            Console.out(line(widths.map { String(repeating: "-", count: $0) }))
        }
        for row in cells { Console.out(line(row)) }
        Console.out("(\(cells.count) row\(cells.count == 1 ? "" : "s"))")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
