import Foundation

/// Durations written as in BetterAuth and PowerSync configs: `900`, `900s`, `15m`, `1h`, `7d`.
public enum DurationText {
    /// Seconds for a duration text, or nil when it is not one.
    public static func seconds(_ text: String) -> Int? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let plain = Int(text) { return plain }
        let units: [(String, Int)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard factor > 0, let value = Int(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return value * factor
        }
        return nil
    }
}
