import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackDoctor
import StackPostgres
import StackServer
import StackSyncRules

/// `stack sync-rules`: check the rules against the config schema, explain which buckets a user gets.
struct SyncRulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-rules", abstract: "Check the sync rules or explain which buckets a user gets.",
        subcommands: [Check.self, Explain.self])

    /// `stack sync-rules check`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse the sync rules and validate them against the config's schema (exit 1 on errors).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            // The same validation as stack doctor's and stack sync reload's.
            guard let validation = SyncRulesValidation(config: config) else {
                Console.error("\(config.file) has no sync_rules.")
                throw ExitCode(1)
            }
            for issue in validation.issues { Console.out(issue.formatted(file: validation.file)) }
            Console.out(
                "\(validation.definitionCount) bucket definition(s), \(validation.errors.count) error(s), "
                    + "\(validation.warnings.count) warning(s)")
            if !validation.errors.isEmpty { throw ExitCode(1) }
        }
    }

    /// `stack sync-rules explain`.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which buckets a user gets and why (uses the parameter index when the database is up).")

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "The user's email (looked up in the \"user\" table).")
        var user: String?

        @Option(name: .long, help: "The user id (JWT sub).")
        var sub: String?

        @Option(name: .long, help: "Client parameters as a JSON object.")
        var params: String?

        func validate() throws {
            guard user != nil || sub != nil else { throw ValidationError("Pass --user EMAIL or --sub ID.") }
        }

        func run() async throws {
            let logger = global.logger()
            let config = try global.loadConfig()
            let rules = try SyncRulesCommand.compile(config)
            var clientParameters: [String: StackSyncRules.JSONValue] = [:]
            if let params {
                guard case .object(let members)? = try? StackSyncRules.JSONValue.parse(params) else {
                    Console.error("--params must be a JSON object, e.g. '{\"org\":\"o1\"}'.")
                    throw ExitCode(1)
                }
                for member in members { clientParameters[member.key] = member.value }
            }
            let lines: [String]
            let (user, sub, parameters) = (self.user, self.sub, clientParameters)
            do {
                // Like token and seed: a stopped managed cluster is started for the command and stopped again.
                lines = try await CommandDatabase.withClient(config: config, logger: logger) { client in
                    try await Self.explain(
                        rules: rules, config: config, client: client, logger: logger,
                        user: user, sub: sub, clientParameters: parameters)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                Console.error("database not reachable (\(PostgresErrorText.describe(error))); without the index:")
                lines = try offline(rules, clientParameters)
            }
            lines.forEach(Console.out)
        }

        private func offline(_ rules: SyncRules, _ parameters: [String: StackSyncRules.JSONValue]) throws -> [String] {
            guard let sub else {
                Console.error("--user needs the database; pass --sub ID instead.")
                throw ExitCode(1)
            }
            return rules.explain(for: RequestParameters(userID: sub, clientParameters: parameters))
        }

        private static func explain(
            rules: SyncRules, config: StackConfig, client: PostgresClient, logger: Logger, user: String?, sub: String?,
            clientParameters: [String: StackSyncRules.JSONValue]
        ) async throws -> [String] {
            var userID = sub
            if let user {
                let rows = try await client.query(
                    """
                    SELECT id::text FROM public."user" WHERE to_regclass('public."user"') IS NOT NULL
                      AND email = \(user.lowercased())
                    """, logger: logger)
                for try await id in rows.decode(String.self) { userID = id }
                guard userID != nil else {
                    Console.error("No user with email \(user) in the \"user\" table.")
                    throw ExitCode(1)
                }
            }
            let request = RequestParameters(userID: userID!, clientParameters: clientParameters)
            let storage = BucketStorage(client: client, schema: config.sync.storageSchema, logger: logger)
            guard let stream = try await storage.activeStream(), let checkpoint = stream.checkpoint else {
                Console.error("no replication checkpoint yet; explaining without the parameter index")
                return rules.explain(for: request)
            }
            let querier = rules.querier(for: request, streamID: String(stream.id))
            let results = try await storage.parameterResults(
                stream: stream.id, lookups: querier.lookups, at: checkpoint.opID)
            return ["checkpoint \(checkpoint.opID) (stream \(stream.id), lsn \(checkpoint.lsn))"]
                + querier.explain(lookupResults: results)
        }
    }

    /// Compiles the config's rules, printing every problem with file:line:col and exiting 1 on errors.
    static func compile(_ config: StackConfig) throws -> SyncRules {
        guard let document = config.syncRules else {
            Console.error("\(config.file) has no sync_rules.")
            throw ExitCode(1)
        }
        do {
            return try SyncRulesLoader.rules(document)
        } catch {
            for issue in error.issues { Console.out(issue.formatted(file: document.file)) }
            Console.out("\(error.errors.count) error(s)")
            throw ExitCode(1)
        }
    }
}
