/// The way into a running `ReplicationService` from outside (`stack sync reload`, SIGHUP): switch to other rules.
public final class ReplicationControl: Sendable {
    /// One request: the rules and where to report each step.
    struct Request: Sendable {
        let rules: StreamRules
        let updates: AsyncStream<RulesChange>.Continuation
    }

    let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    /// Creates a control; give it to exactly one `ReplicationService`.
    public init() {
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    /// Asks the service to replicate `rules`: the stream yields each step (first the immediate answer) and ends once
    /// the change is complete (old stream dropped), replaced by a later change, or the service stops.
    public func reload(_ rules: StreamRules) -> AsyncStream<RulesChange> {
        let (updates, sink) = AsyncStream.makeStream(of: RulesChange.self)
        if case .terminated = continuation.yield(Request(rules: rules, updates: sink)) { sink.finish() }
        return updates
    }
}
