import Foundation
import Logging
import PostgresNIO
import StackPostgres
import StackTesting
import Testing

/// A stack under test with helpers for the auth endpoints.
struct AuthHarness {
    let stack: TestStack

    /// The sample config with rate limits off (one test turns them on) and one extra trusted origin.
    static func yaml(rateLimit: Bool = false, secret: String = "test-secret-0123456789abcdef0123456789") -> String {
        TestStack.sampleConfig
            .replacingOccurrences(
                of: "  secret: test-secret-0123456789abcdef0123456789",
                with: """
                      secret: \(secret)
                      rate_limit: \(rateLimit)
                      trusted_origins: [http://app.example.com]
                    """)
    }

    static func start(rateLimit: Bool = false, secret: String = "test-secret-0123456789abcdef0123456789",
        database: TestDatabase? = nil) async throws -> AuthHarness
    {
        AuthHarness(stack: try await TestStack.start(yaml: yaml(rateLimit: rateLimit, secret: secret), database: database))
    }

    var auth: String { stack.endpoints.authURL }
    var api: String { auth.replacingOccurrences(of: "/api/auth", with: "") }
    var origin: String { stack.config.auth.origin }

    func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.send(
            "POST", auth + path, headers: [("content-type", "application/json")] + headers, body: Data(body.utf8))
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.send("GET", auth + path, headers: headers)
    }

    /// Signs up and returns the session token and user id.
    @discardableResult
    func signUp(_ email: String, password: String = "correct horse battery", name: String = "Ada") async throws
        -> (token: String, userID: String)
    {
        let response = try await post(
            "/sign-up/email", json(["name": name, "email": email, "password": password]))
        #expect(response.status == 200, "sign-up: \(response.text)")
        let body = try response.json()
        let user = body["user"] as? [String: Any]
        return ((body["token"] as? String) ?? "", (user?["id"] as? String) ?? "")
    }

    /// A JWT from `GET /token` for a session token.
    func jwt(session token: String) async throws -> String {
        let response = try await get("/token", headers: [("authorization", "Bearer \(token)")])
        #expect(response.status == 200, "token: \(response.text)")
        return (try response.json()["token"] as? String) ?? ""
    }

    /// Runs SQL on the stack's database.
    func sql(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await PostgresClient.withClient(stack.database.databaseURL, logger: Self.logger) { client in
            var rows: [PostgresRow] = []
            for try await row in try await client.query(query, logger: Self.logger) { rows.append(row) }
            return rows
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "stack.test")
        logger.logLevel = .warning
        return logger
    }
}

/// JSON text of a dictionary.
func json(_ object: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
}

extension HTTPTestClient.Response {
    /// Every `set-cookie` value.
    var setCookies: [String] { headers.filter { $0.0 == "set-cookie" }.map(\.1) }

    /// The value of cookie `name` set by this response.
    func cookie(_ name: String) -> String? {
        for header in setCookies where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    /// The error code of a BetterAuth error body.
    var code: String? { (try? json())?["code"] as? String }
}

/// The Python cross-check scripts (independent implementations); tests using them need python3.
enum Python {
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// stdout of `script command args…` (script relative to Tests/), run off the cooperative pool: the script
    /// calls back into the stack served by this very process.
    static func run(_ script: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(script, arguments) })
            }
        }
    }

    private static func runBlocking(_ script: String, _ arguments: [String]) throws -> String {
        guard let executable else { throw Failure(description: "python3 is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [testsDirectory.appendingPathComponent(script).path] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) \(arguments.first ?? "") failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `IntegrationTests/Fixtures/auth_http_check.py`.
    static func httpCheck(_ arguments: String...) async throws -> [String: Any] {
        let output = try await run("IntegrationTests/Fixtures/auth_http_check.py", arguments)
        return (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]) ?? [:]
    }

    /// `StackAuthTests/Fixtures/crosscheck.py` (hashlib scrypt, PyNaCl, cryptography).
    static func crossCheck(_ arguments: String...) async throws -> String {
        try await run("StackAuthTests/Fixtures/crosscheck.py", arguments)
    }
}

/// Trait for tests that need python3; skipped with this reason when it is absent.
let needsPython3 = ConditionTrait.enabled(if: Python.executable != nil, "python3 is not on PATH: cross-check skipped")
