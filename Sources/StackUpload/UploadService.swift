import Logging
import PostgresNIO
import StackConfig
import StackPostgres

/// Applies client transactions to Postgres: one Postgres transaction each, owner-checked, idempotent.
public struct UploadService: Sendable {
    /// What a request achieved, per client transaction.
    public struct Outcome: Sendable, Equatable, Encodable {
        /// `op_id`s applied now or before (a retried transaction is acknowledged, not applied again).
        public var applied: [String] = []
        /// Transactions refused for good; none of their ops was applied.
        public var rejected: [Rejected] = []
    }

    /// One refused client transaction, as the response lists it.
    public struct Rejected: Sendable, Equatable, Encodable {
        enum CodingKeys: String, CodingKey {
            case opID = "op_id"
            case opIndex = "op_index"
            case code, message
        }

        /// The transaction's `op_id`.
        public var opID: String
        /// Index of the failing op.
        public var opIndex: Int
        /// Reason code.
        public var code: String
        /// Reason.
        public var message: String
    }

    let catalog: UploadCatalog
    let client: PostgresClient
    let logger: Logger

    /// A service writing the synced tables of `schema` through `client`.
    public init(schema: AppSchema, client: PostgresClient, logger: Logger) {
        catalog = UploadCatalog(schema: schema)
        self.client = client
        self.logger = logger
    }

    /// Applies `request`'s transactions in order for `userID`.
    /// Throws `UploadError.unavailable` on a transient database failure; transactions before it stay committed.
    public func apply(_ request: UploadRequest, userID: String) async throws(UploadError) -> Outcome {
        var outcome = Outcome()
        for transaction in request.transactions {
            do {
                try await apply(transaction, userID: userID, clientID: request.clientID)
                outcome.applied.append(transaction.opID)
            } catch let rejection as UploadRejection {
                // The transaction rolled back; the rejection is reported and the client moves on.
                outcome.rejected.append(Self.rejected(transaction, rejection))
            } catch {
                let reason = PostgresErrorText.describe(error)
                logger.warning("upload transaction failed", metadata: ["user.id": "\(userID)", "error": "\(reason)"])
                throw .unavailable(reason)
            }
        }
        return outcome
    }

    static func rejected(_ transaction: UploadRequest.Transaction, _ rejection: UploadRejection) -> Rejected {
        Rejected(opID: transaction.opID, opIndex: rejection.opIndex, code: rejection.code, message: rejection.message)
    }

    private func apply(_ transaction: UploadRequest.Transaction, userID: String, clientID: String) async throws {
        // Plan first: every rejection that needs no database happens before a connection is taken.
        let steps = try UploadPlanner(catalog: catalog).plan(transaction.ops)
        do {
            try await write(steps, transaction: transaction, userID: userID, clientID: clientID)
        } catch is BatchRefused {
            // Rolled back; the same writes one row per statement fail on the op to report (or, if not, all apply).
            try await write(steps.flatMap(\.singleRows), transaction: transaction, userID: userID, clientID: clientID)
        }
    }

    private func write(
        _ steps: [UploadStep], transaction: UploadRequest.Transaction, userID: String, clientID: String
    ) async throws {
        try await client.transaction(logger: logger) { connection in
            // The marker row commits with the writes, so a retry after a lost response is recognised. Op ids are
            // counters every device database starts at 1: without a client id to scope them, one device's
            // transaction would pass for another's retry and be dropped, so nothing is deduplicated then.
            let executor = StepExecutor(connection: connection, userID: userID, logger: logger)
            let marker = clientID.isEmpty ? nil : StepExecutor.Marker(clientID: clientID, opID: transaction.opID)
            _ = try await executor.apply(steps, marker: marker)
        }
    }
}
