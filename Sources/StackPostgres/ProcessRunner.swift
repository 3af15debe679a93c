import CStackSystem
import Foundation
import StackCore

#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program to completion and captures its output.
///
/// Uses posix_spawn with every descriptor above stderr closed in the child: pg_ctl leaves a daemon behind, and a
/// daemon that inherits Foundation.Process's bookkeeping descriptors makes `waitUntilExit` hang forever.
public enum ProcessRunner {
    /// The result of a finished program.
    public struct Result: Sendable {
        /// Exit status (128 + signal when killed by a signal).
        public var status: Int32
        /// Standard output and standard error, interleaved as written.
        public var output: String
    }

    /// Runs `program` with `arguments`, optionally as another user (`runuser -u USER --`), and waits for it.
    public static func run(
        _ program: String, _ arguments: [String], asUser user: String? = nil, environment: [String: String]? = nil
    ) throws -> Result {
        let argv: [String] = user.map { ["/usr/sbin/runuser", "-u", $0, "--", program] + arguments } ?? [program] + arguments
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw spawnError(argv[0], errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        stack_spawn_file_actions_addclosefrom(&actions, 3)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgs in
            withCStrings(env) { cEnv in posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv) }
        }
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            throw spawnError(argv[0], spawned)
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipeFDs[0], &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count == 0 || errno != EINTR { break }
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exitStatus, output: String(decoding: output, as: UTF8.self))
    }

    private static func spawnError(_ program: String, _ code: Int32) -> StackError {
        StackError("STACK-P012", "cannot run \(program): \(String(cString: strerror(code)))")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
