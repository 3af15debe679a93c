import ArgumentParser
import Foundation
import StackBuckets
import StackConfig
import StackCore

/// `stack export`: configuration for other tools.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write configuration other tools need for this stack.",
        subcommands: [PowerSync.self])

    /// `stack export powersync --out DIR`.
    struct PowerSync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "powersync",
            abstract: "Write powersync.yaml and sync_rules.yaml for the real PowerSync Service.",
            discussion: HelpText.reflow("""
                The path for a team that outgrows one machine: the PowerSync Service replicates the same Postgres
                (publication `powersync`), verifies the same JWTs (this stack's JWKS and audience) and clients keep
                uploading to this stack's upload API. Connection strings are read from environment variables
                (PS_DATA_SOURCE_URI, PS_STORAGE_URI), never written to the files.
                """))

        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Directory to write into (created if missing).") var out: String
        @Flag(name: .long, help: "Overwrite existing files.") var force = false

        func run() async throws {
            _ = global.logger()
            let config = try global.loadConfig()
            let export = try PowerSyncExport(config: config)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for file in export.files {
                let path = URL(fileURLWithPath: out).appendingPathComponent(file.name).path
                if FileManager.default.fileExists(atPath: path) && !force {
                    throw StackError("STACK-X001", "\(path) exists; pass --force to overwrite it")
                }
                try file.content.write(toFile: path, atomically: true, encoding: .utf8)
                // powersync.yaml may hold a static HMAC key: readable by the owner only.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
                Console.out("wrote \(path)")
            }
            for warning in export.warnings { Console.error("warning: " + warning) }
            Console.out(
                "next: export PS_DATA_SOURCE_URI=<this database> PS_STORAGE_URI=<a separate database> and run "
                    + "the PowerSync Service with \(out)/powersync.yaml")
        }
    }
}

/// The files `stack export powersync` writes, rendered from the config (pure, so it is tested directly).
struct PowerSyncExport {
    struct File {
        var name: String
        var content: String
    }

    var files: [File]
    var warnings: [String]

    init(config: StackConfig) throws {
        guard let rules = config.syncRules else {
            throw StackError(
                "STACK-X002", "\(config.file) has no sync_rules: the PowerSync Service needs them; add sync_rules first")
        }
        var warnings: [String] = []
        if config.sync.publication != "powersync" {
            warnings.append(
                "sync.publication is '\(config.sync.publication)', but the PowerSync Service reads the publication "
                    + "'powersync': create it (CREATE PUBLICATION powersync FOR TABLE …) before starting the service")
        }
        let quote = { (text: String) in Self.json(text) }
        var lines = [
            "# PowerSync Service configuration exported by `stack export powersync` from \(config.file).",
            "# Same Postgres, same JWTs, same upload API as this stack. Secrets come from the environment.",
            "replication:",
            "  connections:",
            "    - type: postgresql",
            "      # The app database (needs wal_level=logical and the publication 'powersync').",
            "      uri: !env PS_DATA_SOURCE_URI",
            "      sslmode: \(Self.sslMode(config))",
            "storage:",
            "  type: postgresql",
            "  # A database of its own: this stack keeps its bucket storage in schema '\(config.sync.storageSchema)'",
            "  # of the app database, which the PowerSync Service must not share.",
            "  uri: !env PS_STORAGE_URI",
            "  sslmode: disable",
            "port: \(config.sync.listen.port)",
            "sync_rules:",
            "  path: sync_rules.yaml",
            "client_auth:",
            "  jwks_uri: \(quote(config.sync.jwksURI))",
            "  audience: [\(config.sync.audience.map(quote).joined(separator: ", "))]",
        ]
        if !config.sync.jwksKeys.isEmpty {
            lines.append("  jwks:")
            lines.append("    keys:")
            for key in config.sync.jwksKeys {
                let members = key.keys.sorted().map { "\(quote($0)): \(Self.json(key[$0]!))" }
                lines.append("      - {\(members.joined(separator: ", "))}")
            }
            if config.sync.jwksKeys.contains(where: { $0["kty"]?.stringValue == "oct" }) {
                warnings.append("powersync.yaml contains a symmetric (HS256) key: keep it out of version control")
            }
        }
        files = [
            File(name: "powersync.yaml", content: lines.joined(separator: "\n") + "\n"),
            File(name: "sync_rules.yaml", content: SyncRulesLoader.content(rules)),
        ]
        self.warnings = warnings
    }

    /// Compact JSON (valid YAML flow style): strings quoted, slashes unescaped, keys sorted.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func sslMode(_ config: StackConfig) -> String {
        guard let url = config.postgres.url, let range = url.range(of: "sslmode=") else { return "disable" }
        return String(url[range.upperBound...].prefix { $0 != "&" })
    }
}
