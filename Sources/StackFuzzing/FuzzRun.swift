#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How many inputs a fuzz target tries and for how long, with the counts it reports.
///
/// The default count and time cap keep `swift test` quick; `STACK_FUZZ_COUNT=N` raises the count (and lifts the
/// time cap unless `STACK_FUZZ_SECONDS` sets one), `STACK_FUZZ_SEED` changes the seed.
public struct FuzzRun: Sendable {
    /// The target's name in the report line.
    public let target: String
    /// The seed of every input (`FuzzRandom(seed:index:)`).
    public let seed: UInt64
    /// Inputs to try.
    public let count: Int
    /// Stop early when this much time has passed.
    public let timeLimit: Duration
    /// Inputs tried so far.
    public private(set) var inputs = 0
    /// Inputs refused with a well-formed error.
    public private(set) var rejected = 0
    /// Inputs accepted.
    public private(set) var accepted = 0
    private let start = ContinuousClock.now

    /// A run of `defaultCount` inputs, at most `seconds` long, unless the environment asks for more.
    public init(_ target: String, count defaultCount: Int, seconds: Double, seed defaultSeed: UInt64 = 0x5EED) {
        let environment = ProcessInfo.processInfo.environment
        self.target = target
        let raised = environment["STACK_FUZZ_COUNT"].flatMap(Int.init)
        count = max(defaultCount, raised ?? 0)
        let limit = environment["STACK_FUZZ_SECONDS"].flatMap(Double.init) ?? (raised == nil ? seconds : 86_400)
        timeLimit = .milliseconds(Int(limit * 1000))
        seed = environment["STACK_FUZZ_SEED"].flatMap { UInt64($0, radix: 16) } ?? defaultSeed
    }

    /// The indices to try, ending at `count` or when the time is up.
    public var indices: some Sequence<Int> {
        let start = start
        let limit = timeLimit
        return (0..<count).lazy.prefix(while: { _ in ContinuousClock.now - start < limit })
    }

    /// The generator of input `index`.
    public func random(_ index: Int) -> FuzzRandom { FuzzRandom(seed: seed, index: index) }

    /// Counts one input.
    public mutating func record(accepted wasAccepted: Bool) {
        inputs += 1
        if wasAccepted { accepted += 1 } else { rejected += 1 }
    }

    /// `FUZZ <target>: <n> inputs, <k> rejected, <m> accepted in <s> s`.
    public var summary: String {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rounded = (seconds * 10).rounded() / 10
        return "FUZZ \(target): \(inputs) inputs, \(rejected) rejected, \(accepted) accepted in \(rounded) s"
    }

    /// Prints the summary line.
    public func report() {
        print(summary)
    }

    /// Where input `index` came from, for failure messages: rerun with this seed to reproduce it.
    public func origin(_ index: Int) -> String {
        "\(target) input #\(index) (STACK_FUZZ_SEED=\(String(seed, radix: 16)))"
    }
}
