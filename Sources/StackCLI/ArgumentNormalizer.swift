/// Lets the shared flags appear anywhere: `stack --config x status` works like `stack status --config x`.
///
/// ArgumentParser binds options to the command they are declared on; the shared flags are declared on every leaf
/// command, so they are moved to the end of the line (before any `--` terminator), where the leaf parses them.
public enum ArgumentNormalizer {
    /// The arguments with every `--config VALUE`, `--config=VALUE` and `--verbose` moved to the end.
    public static func normalize(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                kept += arguments[index...]
                break
            }
            if argument == "--config", index + 1 < arguments.count {
                moved += [argument, arguments[index + 1]]
                index += 2
                continue
            }
            if argument.hasPrefix("--config=") || argument == "--verbose" {
                moved.append(argument)
            } else {
                kept.append(argument)
            }
            index += 1
        }
        if let terminator = kept.firstIndex(of: "--") {
            return Array(kept[..<terminator]) + moved + Array(kept[terminator...])
        }
        return kept + moved
    }
}
