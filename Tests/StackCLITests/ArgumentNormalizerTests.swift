import StackCLI
import Testing

@Suite("shared flags anywhere on the command line")
struct ArgumentNormalizerTests {
    @Test(
        "flags move after the subcommand path; values and the -- terminator are untouched",
        arguments: [
            (["--config", "a.yaml", "status"], ["status", "--config", "a.yaml"]),
            (["--config=a.yaml", "schema", "--format", "swift"], ["schema", "--format", "swift", "--config=a.yaml"]),
            (["--verbose", "up", "--exec", "echo --config"], ["up", "--exec", "echo --config", "--verbose"]),
            (["up", "--exec", "x", "--", "--config", "b"], ["up", "--exec", "x", "--", "--config", "b"]),
            (["doctor"], ["doctor"]),
        ])
    func normalize(input: [String], expected: [String]) {
        #expect(ArgumentNormalizer.normalize(input) == expected)
    }
}
