import Foundation
import StackCore

/// Runs a helper program to completion and captures its output.
public enum ProcessRunner {
    /// The result of a finished program.
    public struct Result: Sendable {
        /// Exit status.
        public var status: Int32
        /// Standard output and standard error, interleaved as written.
        public var output: String
    }

    /// Runs `program` with `arguments`, optionally as another user (`runuser -u USER --`), and waits for it.
    public static func run(
        _ program: String, _ arguments: [String], asUser user: String? = nil, environment: [String: String]? = nil
    ) throws -> Result {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting so a chatty program cannot fill the pipe and block.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
