import ArgumentParser

/// `stack doctor` (filled in below).
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Check the whole chain and print fixes.")
    @OptionGroup var global: GlobalOptions
    func run() async throws {}
}
