import StackCLI

/// The `stack` executable: everything lives in StackCLI.
@main
struct Stack {
    static func main() async {
        let arguments = ArgumentNormalizer.normalize(Array(CommandLine.arguments.dropFirst()))
        await StackCommand.main(arguments)
    }
}
