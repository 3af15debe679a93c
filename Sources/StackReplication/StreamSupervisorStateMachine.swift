import StackBuckets

/// The decisions of `ReplicationService` as a pure state machine: which stream serves, which one is built for the
/// target rules, and when streams are created, run, stopped and dropped. Events in, actions out; the service does
/// the I/O (PROTOCOL §6.6).
struct StreamSupervisorStateMachine {
    /// A stream the machine knows: its id and the hash of the rules it was built with.
    struct Stream: Hashable, Sendable {
        /// Stream id (`group_id`).
        var id: Int
        /// Hash of its sync rules.
        var hash: String
    }

    /// What happened.
    enum Event: Equatable, Sendable {
        /// Supervision starts with the streams that are not STOP, oldest first.
        case started([Stream], active: Set<Int>)
        /// The stream asked for by `.create` exists (PROCESSING).
        case created(Stream)
        /// The stream's first checkpoint made it ACTIVE; storage stopped the older streams in the same transaction.
        case activated(Int)
        /// The stream's slot is gone or invalidated; its runner ended.
        case slotLost(Int)
        /// A runner that was asked to stop (or that ended on its own) is gone.
        case stopped(Int)
        /// The config's rules are now the ones with this hash.
        case retarget(String)
    }

    /// What the service must do, in order.
    enum Action: Equatable, Sendable {
        /// Create a PROCESSING stream with a new slot for the target rules, then report `.created`.
        case create
        /// Start replicating the stream.
        case run(Int)
        /// Stop replicating the stream, then report `.stopped`.
        case stop(Int)
        /// Mark the stream STOP and drop its slot and bucket data (nothing replicates it any more).
        case drop(Int)
    }

    /// Hash of the rules the config asks for.
    private(set) var target: String
    /// The stream clients are served from (ACTIVE).
    private(set) var served: Stream?
    /// The stream being built for the target rules while `served` keeps serving (PROCESSING).
    private(set) var building: Stream?
    /// Streams with a runner.
    private(set) var running: Set<Int> = []
    private var dropWhenStopped: Set<Int> = []

    /// A machine for the config's rules.
    init(target: String) {
        self.target = target
    }

    /// Feeds one event; returns the actions to carry out.
    mutating func event(_ event: Event) -> [Action] {
        switch event {
        case .started(let streams, let active): return start(streams, active: active)
        case .created(let stream): return created(stream)
        case .activated(let id): return activated(id)
        case .slotLost(let id): return slotLost(id)
        case .stopped(let id):
            running.remove(id)
            return dropWhenStopped.remove(id) == nil ? [] : [.drop(id)]
        case .retarget(let hash): return retarget(hash)
        }
    }

    private mutating func start(_ streams: [Stream], active: Set<Int>) -> [Action] {
        served = streams.last { active.contains($0.id) }
        if let candidate = streams.last(where: { $0.hash == target }) {
            if active.contains(candidate.id) {
                served = candidate
            } else if candidate.id > served?.id ?? 0 {
                // Only a stream newer than the served one may take over: activation stops the older streams.
                building = candidate
            }
        }
        var actions: [Action] = streams.filter { $0.id != served?.id && $0.id != building?.id }.map { .drop($0.id) }
        for stream in [served, building].compactMap({ $0 }) {
            running.insert(stream.id)
            actions.append(.run(stream.id))
        }
        if building == nil && served?.hash != target { actions.append(.create) }
        return actions
    }

    private mutating func created(_ stream: Stream) -> [Action] {
        building = stream
        running.insert(stream.id)
        return [.run(stream.id)]
    }

    private mutating func activated(_ id: Int) -> [Action] {
        guard let new = building, new.id == id else { return [] }
        let old = served
        served = new
        building = nil
        return old.map { retire($0.id) } ?? []
    }

    private mutating func slotLost(_ id: Int) -> [Action] {
        running.remove(id)
        if id == building?.id {
            building = nil
            return [.drop(id), .create]
        }
        if id == served?.id {
            // The served data stays readable without replication until a replacement has caught up.
            return building == nil ? [.create] : []
        }
        return dropWhenStopped.remove(id) == nil ? [] : [.drop(id)]
    }

    private mutating func retarget(_ hash: String) -> [Action] {
        guard hash != target else { return [] }
        target = hash
        var actions: [Action] = []
        if let abandoned = building {
            building = nil
            actions += retire(abandoned.id)
        }
        // Back to the served rules while that stream still replicates: nothing to build.
        if let served, served.hash == hash, running.contains(served.id) { return actions }
        return actions + [.create]
    }

    /// Stops a stream's runner if it has one, and drops the stream once nothing replicates it.
    private mutating func retire(_ id: Int) -> [Action] {
        guard running.contains(id) else { return [.drop(id)] }
        dropWhenStopped.insert(id)
        return [.stop(id)]
    }
}
