/// The MOVE and CLEAR rewrites of one bucket (PROTOCOL §7.5); pure, checksums unchanged by construction.
public struct CompactionPlan: Hashable, Sendable {
    /// One stored op as compaction sees it.
    public struct Op: Hashable, Sendable {
        /// Op id.
        public var opID: Int64
        /// Kind.
        public var op: OpType
        /// Row identity (`table/id/source`), nil for MOVE and CLEAR.
        public var rowKey: String?
        /// Checksum.
        public var checksum: UInt32
        /// Target op of MOVE/CLEAR.
        public var targetOp: Int64?

        /// Creates an op.
        public init(opID: Int64, op: OpType, rowKey: String?, checksum: UInt32, targetOp: Int64?) {
            self.opID = opID
            self.op = op
            self.rowKey = rowKey
            self.checksum = checksum
            self.targetOp = targetOp
        }
    }

    /// The replacement CLEAR of a bucket's leading non-PUT ops.
    public struct Clear: Hashable, Sendable {
        /// Ops with `op_id <= upTo` are deleted…
        public var upTo: Int64
        /// …and replaced by one CLEAR with this op id (the last replaced one),
        public var opID: Int64
        /// the wrapping sum of their checksums,
        public var checksum: UInt32
        /// and the highest target op among them.
        public var targetOp: Int64?
    }

    /// PUT/REMOVE ops superseded by a later op of the same row: `opID` becomes a MOVE to `target`.
    public var moves: [(opID: Int64, target: Int64)]
    /// The prefix CLEAR, when the bucket starts with more than one non-PUT op.
    public var clear: Clear?

    /// Plans the rewrites for a bucket's ops (any order).
    public static func plan(_ ops: [Op]) -> CompactionPlan {
        let descending = ops.sorted { $0.opID > $1.opID }
        var latest: [String: Int64] = [:]
        var moved: [Int64: Int64] = [:]
        for op in descending where op.op == .put || op.op == .remove {
            guard let key = op.rowKey else { continue }
            if let target = latest[key] {
                moved[op.opID] = target
            } else {
                latest[key] = op.opID
            }
        }
        var prefix: [Op] = []
        for var op in descending.reversed() {
            if let target = moved[op.opID] {
                op.op = .move
                op.targetOp = target
            }
            guard op.op != .put else { break }
            prefix.append(op)
        }
        var clear: Clear?
        if prefix.count > 1, let last = prefix.last {
            let sum = prefix.reduce(UInt32(0)) { $0 &+ $1.checksum }
            let target = prefix.compactMap(\.targetOp).max()
            clear = Clear(upTo: last.opID, opID: last.opID, checksum: sum, targetOp: target)
        }
        let moves = moved.sorted { $0.key < $1.key }.map { (opID: $0.key, target: $0.value) }
        return CompactionPlan(moves: moves, clear: clear)
    }

    /// Compares plans (tuples are not Hashable).
    public static func == (lhs: CompactionPlan, rhs: CompactionPlan) -> Bool {
        lhs.clear == rhs.clear && lhs.moves.map(\.opID) == rhs.moves.map(\.opID)
            && lhs.moves.map(\.target) == rhs.moves.map(\.target)
    }

    /// Hashes the plan.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(clear)
        hasher.combine(moves.map(\.opID))
    }
}
