import StackCLI
import StackClient

/// The `stack` executable: everything lives in StackCLI.
@main
struct Stack {
    static func main() async {
        ClientDatabase.disableMemoryStatistics()
        let arguments = ArgumentNormalizer.normalize(Array(CommandLine.arguments.dropFirst()))
        await StackCommand.main(arguments)
    }
}
