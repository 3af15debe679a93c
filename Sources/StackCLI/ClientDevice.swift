import Foundation
import StackClient
import StackConfig
import StackCore

/// One named device of `stack client`: its file, its database and the connector to the configured stack.
struct ClientDevice {
    /// The device name.
    let name: String
    /// The SQLite file.
    let path: String
    /// The configuration the device follows (schema, URLs).
    let config: StackConfig

    /// Resolves the device's file from the config; the name must be a plain file name.
    init(name: String, config: StackConfig) throws {
        // The name becomes a file name: no separators or dots that could leave the devices folder.
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy({ allowed.contains($0) }) else {
            throw StackError(
                "STACK-K101", "--device '\(name)' is not a valid device name. Use letters, digits, '-' and '_'.")
        }
        self.name = name
        self.config = config
        self.path = (config.stateDir as NSString).appendingPathComponent("devices/\(name).db")
    }

    /// Base URL of the app backend (auth + upload API).
    var apiBaseURL: String { config.api.listen.httpURL }

    /// Opens (creating if needed) the device database.
    func open() throws -> ClientDatabase {
        try ClientDatabase(path: path, schema: config.schema)
    }

    /// The connector to the configured backend. `STACK_CLIENT_REQUEST_TIMEOUT` (seconds, default 30) sets how long
    /// one request may take, for a backend on a slow or very busy machine.
    var connector: StackConnector {
        var connector = StackConnector(apiBaseURL: apiBaseURL)
        let environment = ProcessInfo.processInfo.environment
        if let seconds = environment["STACK_CLIENT_REQUEST_TIMEOUT"].flatMap(Int64.init), seconds > 0 {
            connector.requestTimeout = .seconds(seconds)
        }
        return connector
    }

    /// The table of the config schema called `name`, or an error listing the known tables.
    func table(_ name: String) throws -> TableSchema {
        guard let table = config.schema.table(named: name) else {
            let known = config.schema.tables.map(\.name).joined(separator: ", ")
            throw StackError("STACK-K102", "there is no table '\(name)' in the config schema. Known tables: \(known).")
        }
        return table
    }
}
