import Foundation
import Logging
import StackClient
import StackConfig
import StackProtocol

/// Users and in-process `StackClient` devices of the bench stack (the library, not the `stack client` command, so
/// process start-up is not measured).
struct BenchDevices {
    /// A signed-up user of the bench stack.
    struct User {
        var id: String
        var sessionToken: String
    }

    let stack: BenchStack
    let schema: AppSchema
    let connector: StackConnector
    let directory: String

    init(stack: BenchStack, directory: String) throws {
        self.stack = stack
        self.schema = try ConfigLoader().load(explicit: stack.configPath).schema
        self.connector = StackConnector(apiBaseURL: stack.apiBaseURL)
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Signs up a new user through the auth API (`email-<random>@bench.invalid`).
    func signUp(_ prefix: String) async throws -> User {
        let email = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@bench.example.com"
        let session = try await connector.signUp(
            SignUpRequest(name: prefix, email: email, password: "bench-password-\(UUID().uuidString)"))
        guard let token = session.token else { throw BenchError("sign-up returned no session token") }
        return User(id: session.user.id, sessionToken: token)
    }

    /// A fresh device (new SQLite file) signed in as `user`, talking to the stack or to `apiBaseURL`.
    func device(_ name: String, user: User, apiBaseURL: String? = nil) throws -> SyncClient {
        let path = directory + "/\(name).sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let database = try ClientDatabase(path: path, schema: schema)
        _ = try DeviceAccount.signIn(
            database, account: DeviceAccount(userID: user.id, email: nil, sessionToken: user.sessionToken))
        var logger = Logger(label: "stack.bench.device")
        logger.logLevel = .critical
        return SyncClient(
            database: database, connector: apiBaseURL.map { StackConnector(apiBaseURL: $0) } ?? connector,
            retry: RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .seconds(1)), logger: logger)
    }
}
