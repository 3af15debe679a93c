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
    private var lastRecord = ContinuousClock.now
    /// The input that took longest (index and duration), a hint at inputs that cost far more than their size.
    public private(set) var slowest: (index: Int, duration: Duration) = (-1, .zero)

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

    /// Both outcomes were seen (a run cut to a few inputs by a loaded machine is not judged).
    public var sawBothOutcomes: Bool { inputs < 200 || (rejected > 0 && accepted > 0) }

    /// Counts one input.
    public mutating func record(accepted wasAccepted: Bool) {
        let now = ContinuousClock.now
        if now - lastRecord > slowest.duration { slowest = (inputs, now - lastRecord) }
        lastRecord = now
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
        print(summary + " (slowest: input #\(slowest.index), \(Self.seconds(slowest.duration)) s)")
    }

    static func seconds(_ duration: Duration) -> Double {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (seconds * 100).rounded() / 100
    }

    /// Prints input `index` when `STACK_FUZZ_SHOW` names it (to look at one input the report points to).
    public func show(_ index: Int, _ input: [UInt8]) {
        guard ProcessInfo.processInfo.environment["STACK_FUZZ_SHOW"] == String(index) else { return }
        print("FUZZ \(target) input #\(index), \(input.count) bytes: \(String(decoding: input.prefix(2_000), as: UTF8.self))")
    }

    /// Where input `index` came from, for failure messages: rerun with this seed to reproduce it.
    public func origin(_ index: Int) -> String {
        "\(target) input #\(index) (STACK_FUZZ_SEED=\(String(seed, radix: 16)))"
    }
}
