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
        let argv: [String] =
            user.map { ["/usr/sbin/runuser", "-u", $0, "--", program] + arguments } ?? [program] + arguments
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

    /// Starts `argv` in a new session (it survives this process), stdin from /dev/null, stdout and stderr
    /// appended to `logFile`, no other descriptors inherited. Returns its pid.
    public static func spawnDetached(_ argv: [String], logFile: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        stack_spawn_file_actions_addclosefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(stack_spawn_setsid_flag()))
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgs in
            withCStrings(env) { cEnv in posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv) }
        }
        guard spawned == 0 else { throw spawnError(argv[0], spawned) }
        return pid
    }

    /// True while `pid` (a child of this process) has not exited; reaps it when it has.
    public static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
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
