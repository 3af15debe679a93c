import StackCLI

/// The `stack` executable: everything lives in StackCLI.
@main
struct Stack {
    static func main() async {
        await StackCommand.main()
    }
}
