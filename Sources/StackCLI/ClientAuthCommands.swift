import ArgumentParser
import Foundation
import StackClient
import StackProtocol

extension ClientCommand {
    /// `stack client sign-up --email E --password P [--name N]`.
    struct SignUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-up", abstract: "Create an account on the stack and sign this device in.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Option(name: .long, help: "Email address.") var email: String
        @Option(name: .long, help: "Password (8–128 characters).") var password: String
        @Option(name: .long, help: "Display name (default: the part of the email before @).") var name: String?
        @Flag(name: .long, help: "When another user was signed in, drop their changes that were never uploaded.")
        var discardPending = false

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let displayName = name ?? String(email.split(separator: "@").first ?? Substring(email))
                let response = try await device.connector.signUp(
                    SignUpRequest(name: displayName, email: email, password: password))
                try ClientSession.store(response, on: device, discardPending: discardPending)
            }
        }
    }

    /// `stack client sign-in --email E --password P`.
    struct SignIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-in",
            abstract: "Sign this device in; another user's sign-in removes the previous user's synced data.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions
        @Option(name: .long, help: "Email address.") var email: String
        @Option(name: .long, help: "Password.") var password: String
        @Flag(name: .long, help: "When another user was signed in, drop their changes that were never uploaded.")
        var discardPending = false

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let response = try await device.connector.signIn(SignInRequest(email: email, password: password))
                try ClientSession.store(response, on: device, discardPending: discardPending)
            }
        }
    }

    /// `stack client sign-out`.
    struct SignOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-out",
            abstract: "End the session; the device keeps its data until another user signs in.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let database = try device.open()
                guard let token = try database.read({ try DeviceAccount.load($0) })?.sessionToken else {
                    Console.out("not signed in")
                    return
                }
                // Best effort: the local session is forgotten even when the server cannot be reached.
                do {
                    try await device.connector.signOut(sessionToken: token)
                } catch {
                    Console.error("note: the server did not confirm the sign-out (\(error)); signed out locally")
                }
                try DeviceAccount.signOut(database)
                Console.out("signed out")
            }
        }
    }

    /// `stack client whoami`: the device's signed-in user (exit 1 when none).
    struct WhoAmI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "whoami", abstract: "Print the signed-in user of this device (exit 1 if none).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = global.logger()
            let device = try ClientDevice(name: options.device, config: try global.loadConfig())
            try await ClientRun.perform {
                let database = try device.open()
                guard let account = try database.read({ try DeviceAccount.load($0) }), account.sessionToken != nil
                else {
                    Console.error("not signed in on device \(device.name)")
                    throw ExitCode(1)
                }
                Console.out("\(account.email ?? "?") (user \(account.userID)) on device \(device.name)")
            }
        }
    }
}

/// Stores a sign-in/sign-up response on the device and reports it.
enum ClientSession {
    /// Records the account (wiping another user's synced data) and prints who is signed in.
    static func store(_ response: AuthSessionResponse, on device: ClientDevice, discardPending: Bool) throws {
        guard let token = response.token else {
            throw ClientError.malformedResponse(
                url: device.apiBaseURL + "/api/auth", detail: "no session token in the body or set-auth-token header")
        }
        let database = try device.open()
        let pending = try database.read { try CrudQueue.count($0) }
        let switched = try DeviceAccount.signIn(
            database, account: DeviceAccount(userID: response.user.id, email: response.user.email, sessionToken: token),
            discardPending: discardPending)
        Console.out("signed in as \(response.user.email) (user \(response.user.id)) on device \(device.name)")
        if switched {
            Console.out(
                "synced data of the previous user was removed from this device"
                    + (pending > 0 ? ", with \(pending) change(s) never uploaded (--discard-pending)" : ""))
        }
    }
}
