/// What `stack bench` measures and how much.
public struct BenchOptions: Sendable, Encodable {
    /// Rows for the replication, snapshot, initial-sync and client-apply figures.
    public var rows = 100_000
    /// Concurrent idle streams for the memory/CPU figure.
    public var idleStreams = 1000
    /// Seconds the server is sampled with the idle streams open.
    public var idleSampleSeconds = 10
    /// Clients of one user in the fan-out figure.
    public var fanoutClients = 100
    /// Commits timed in the fan-out figure (per run).
    public var fanoutCommits = 30
    /// Client transactions of `uploadOps` PUTs each uploaded per run of the upload figure.
    public var uploadTransactions = 5
    /// PUTs per uploaded client transaction.
    public var uploadOps = 1000
    /// Edits timed per run in the end-to-end latency figure.
    public var edits = 100
    /// Repetitions of each figure (the table shows median and range).
    public var runs = 3
    /// `kill -9` rounds of the kill loop (0: off).
    public var killLoop = 0
    /// Single-row commits per second in the lag figure.
    public var lagRate = 1000
    /// Seconds the lag figure writes per run.
    public var lagSeconds = 10
    /// Where the bench stack and its Postgres live.
    public var directory: String

    /// Options with defaults.
    public init(directory: String) {
        self.directory = directory
    }

    /// The smallest sizes that still run every figure (an end-to-end check, not a measurement).
    public static func quick(directory: String) -> BenchOptions {
        var options = BenchOptions(directory: directory)
        options.rows = 2000
        options.idleStreams = 20
        options.idleSampleSeconds = 2
        options.fanoutClients = 5
        options.fanoutCommits = 5
        options.uploadTransactions = 1
        options.edits = 10
        options.lagRate = 200
        options.lagSeconds = 2
        options.runs = 2
        return options
    }
}

/// One line of the bench table.
public struct BenchFigure: Sendable, Encodable {
    /// Stable key for machines (`upload_rows_per_s`, …).
    public var id: String
    /// What was measured.
    public var name: String
    /// Median over the repetitions.
    public var value: Double
    /// Smallest repetition.
    public var min: Double
    /// Largest repetition.
    public var max: Double
    /// Unit of `value`.
    public var unit: String
    /// The same-run baseline it is compared with, if any.
    public var baseline: String?
    /// value / baseline value.
    public var ratio: Double?
    /// Number of repetitions / samples.
    public var samples: Int

    init(
        _ id: String, _ name: String, _ values: [Double], unit: String, baseline: String? = nil,
        baselineValue: Double? = nil
    ) {
        let median = Self.median(values)
        self.id = id
        self.name = name
        self.value = median
        self.min = values.min() ?? 0
        self.max = values.max() ?? 0
        self.unit = unit
        self.baseline = baseline
        self.ratio = baselineValue.map { $0 > 0 ? median / $0 : 0 }
        self.samples = values.count
    }

    /// The median (the mean of the middle two of an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The `p` quantile of `values` (nearest rank).
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((Double(sorted.count) * p).rounded(.up)) - 1
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank))]
    }
}
