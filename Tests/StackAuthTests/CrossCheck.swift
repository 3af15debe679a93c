import Foundation
import Testing

/// Runs `Fixtures/crosscheck.py`, the independent Python implementations the tests compare against.
enum CrossCheck {
    /// The python3 executable on PATH, if any.
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// Whether the cross-check tests can run.
    static var isAvailable: Bool { python != nil }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// stdout of `crosscheck.py command arguments…`; throws with stderr when the script fails.
    static func run(_ command: String, _ arguments: String...) throws -> String {
        try run(command, arguments: arguments)
    }

    /// `run` with the arguments as an array.
    static func run(_ command: String, arguments: [String]) throws -> String {
        guard let python else { throw Failure(description: "python3 is not on PATH") }
        guard let script = Bundle.module.url(forResource: "crosscheck", withExtension: "py", subdirectory: "Fixtures")
        else { throw Failure(description: "Fixtures/crosscheck.py is missing from the test bundle") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, command] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "crosscheck.py \(command) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `run` whose output is a JSON object.
    static func json(_ command: String, _ arguments: String...) throws -> [String: Any] {
        let output = try run(command, arguments: arguments)
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw Failure(description: "crosscheck.py \(command) did not print a JSON object: \(output)")
        }
        return object
    }
}

/// Trait for tests that need python3; they are skipped, with this reason, when it is absent.
let needsPython = ConditionTrait.enabled(if: CrossCheck.isAvailable, "python3 is not on PATH: cross-check skipped")
