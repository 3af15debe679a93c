import ArgumentParser
import Foundation
import StackServer

/// `stack down`: stops a stack started with `stack up --detach` (or any running `stack up` of this state dir).
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop the running stack (graceful: managed Postgres is stopped too).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (file, stateDir) = try global.locateStateDirectory()
        guard let running = RunState(stateDir: stateDir).read() else {
            Console.out("no stack is running for \(file) (state_dir \(stateDir))")
            return
        }
        kill(running.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if kill(running.pid, 0) != 0 && errno == ESRCH {
                Console.out("stack stopped (pid \(running.pid))")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Console.error("stack (pid \(running.pid)) did not stop within 90 s")
        throw ExitCode(1)
    }
}
