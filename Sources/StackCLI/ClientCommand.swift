import ArgumentParser
import Foundation
import GRDB
import StackCore

/// `stack client …`: a demo device (one SQLite file) that signs in, writes offline and syncs through the stack.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "A demo offline-first device: sign in, write locally, upload and sync.",
        discussion: HelpText.reflow(
            """
            Each device is one SQLite file, <state_dir>/devices/<name>.db (--device NAME, default demo), so several
            can run side by side. The device finds the stack's URLs from the config (api.listen) and the sync URL from
            GET /api/powersync/config.
            """),
        subcommands: [
            SignUp.self, SignIn.self, SignOut.self, WhoAmI.self, Insert.self, Update.self, Delete.self, List.self,
            Query.self, Upload.self, Sync.self, Status.self, Offline.self, Online.self, Reset.self, Shell.self,
        ])

    // Declared here too so `stack client --device x ls t` works; subcommands reuse the value parsed here.
    @OptionGroup var options: ClientOptions
}

/// The flag that picks a device, on every `stack client` subcommand.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "Device name: its file is <state_dir>/devices/<name>.db.")
    var device: String = "demo"
}

/// Runs a client subcommand body, turning its errors into one console line and exit status 1.
enum ClientRun {
    /// Runs `body`; coded errors print as `CODE: message` (SQLite's in the client's words), others as their description.
    static func perform(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as any CodedError {
            Console.error(error.description)
            throw ExitCode(1)
        } catch let error as DatabaseError {
            Console.error(ClientSQLError.coded(error).description)
            throw ExitCode(1)
        } catch {
            Console.error(String(describing: error))
            throw ExitCode(1)
        }
    }
}
