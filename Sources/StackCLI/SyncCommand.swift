import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StackBuckets
import StackConfig
import StackPostgres
import StackServer

/// `stack sync`: maintenance of the bucket storage.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Maintain the bucket storage (reload rules, compact, rebuild).",
        subcommands: [Reload.self, Compact.self, Rebuild.self])

    /// `stack sync compact`.
    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compact the served stream's buckets (MOVE/CLEAR; checksums unchanged).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let logger = global.logger()
            let config = try global.loadConfig()
            try await CommandDatabase.withClient(config: config, logger: logger) { client in
                let storage = BucketStorage(client: client, schema: config.sync.storageSchema, logger: logger)
                guard let stream = try await storage.activeStream(), let checkpoint = stream.checkpoint else {
                    Console.out("nothing to compact: no replication checkpoint yet")
                    return
                }
                let summary = try await storage.compact(stream: stream.id, upTo: checkpoint.opID)
                Console.out(
                    "compacted stream \(stream.id) up to op \(checkpoint.opID): \(summary.buckets) bucket(s), "
                        + "\(summary.moved) op(s) moved, \(summary.cleared) op(s) cleared")
            }
        }
    }

    /// `stack sync rebuild`.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop every replication stream, slot and bucket (the next stack up re-snapshots).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let logger = global.logger()
            let config = try global.loadConfig()
            if let running = RunState(stateDir: config.stateDir).read() {
                Console.error("STACK-R104: a stack is running (pid \(running.pid)); stop it with stack down first.")
                throw ExitCode(1)
            }
            // With the stack stopped its managed Postgres is too: started for this command and stopped again.
            let dropped = try await CommandDatabase.withClient(config: config, logger: logger) { client in
                let storage = BucketStorage(client: client, schema: config.sync.storageSchema, logger: logger)
                let streams = try await storage.allStreams()
                for stream in streams {
                    try await client.query(
                        """
                        SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                        WHERE slot_name = \(stream.slotName) AND database = current_database()
                        """, logger: logger)
                    try await storage.deleteStream(stream.id)
                }
                return streams.count
            }
            Console.out("dropped \(dropped) replication stream(s); the next stack up rebuilds the buckets")
        }
    }
}
