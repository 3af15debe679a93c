import Logging
import StackBuckets
import StackSyncRules

/// Carries out `StreamSupervisorStateMachine`: one `StreamRunner` per replicating stream, each a child task that
/// can be stopped on its own, stream creation and drops, and the answers to reload requests. Ends when cancelled.
struct StreamSupervisor {
    let service: ReplicationService

    /// Supervises until cancelled, starting with the config's rules.
    func run(initial: StreamRules) async throws {
        let (inputs, sink) = AsyncStream.makeStream(of: SupervisorInput.self)
        var state = SupervisorState(
            service: service, sink: sink, machine: StreamSupervisorStateMachine(target: initial.hash),
            rules: [initial.hash: initial])
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let control = service.control {
                group.addTask {
                    for await request in control.requests { sink.yield(.reload(request)) }
                }
            }
            try await state.start(group: &group)
            for await input in inputs {
                switch input {
                case .event(let event): try await state.handle(event, group: &group)
                case .reload(let request): try await state.reload(request, group: &group)
                case .dropped(let id, let failure): state.dropped(id, failure: failure)
                case .failed(let error): throw error
                }
            }
            group.cancelAll()
        }
    }
}

/// What reaches the supervisor's loop.
private enum SupervisorInput: Sendable {
    case event(StreamSupervisorStateMachine.Event)
    case reload(ReplicationControl.Request)
    case dropped(Int, failure: String?)
    case failed(any Error)
}

/// How a runner's task ended.
private enum RunnerEnd: Sendable {
    case stopped
    case slotLost
    case failed(any Error)
}

/// The supervisor's mutable state around the machine: stream records, stop switches, reload watchers.
private struct SupervisorState {
    typealias Group = ThrowingTaskGroup<Void, any Error>
    typealias Stream = StreamSupervisorStateMachine.Stream

    let service: ReplicationService
    let sink: AsyncStream<SupervisorInput>.Continuation
    var machine: StreamSupervisorStateMachine
    /// Compiled rules by hash: the config's at start and every reload's.
    var rules: [String: StreamRules]
    var records: [Int: ReplicationStreamRecord] = [:]
    var tables: [String: [SourceTable]] = [:]
    var stoppers: [Int: AsyncStream<Void>.Continuation] = [:]
    /// Reload requests waiting for a stream: to be built and swapped in, then for the replaced one to be dropped.
    var watchers: [Int: [AsyncStream<RulesChange>.Continuation]] = [:]

    var logger: Logger { service.logger }

    mutating func start(group: inout Group) async throws {
        let all = try await service.storage.allStreams()
        for stream in all { records[stream.id] = stream }
        for stream in all where stream.state == .stop { drop(stream.id, group: &group) }
        let live = all.filter { $0.state != .stop }
        let event = StreamSupervisorStateMachine.Event.started(
            live.map { Stream(id: $0.id, hash: $0.rulesHash) },
            active: Set(live.filter { $0.state == .active }.map(\.id)))
        try await execute(machine.event(event), group: &group)
    }

    mutating func handle(_ event: StreamSupervisorStateMachine.Event, group: inout Group) async throws {
        let (served, building) = (machine.served, machine.building)
        switch event {
        case .slotLost(let id):
            logger.notice(
                "replication slot lost; rebuilding with a new slot while the served data stays readable",
                metadata: ["replication.stream": "\(id)", "replication.slot": "\(records[id]?.slotName ?? "")"])
        case .activated(let id) where id == building?.id:
            logger.notice(
                "new replication stream caught up and serves now; dropping the old one",
                metadata: ["replication.stream": "\(id)", "replication.old_stream": "\(served?.id ?? 0)"])
        case .stopped(let id):
            stoppers[id] = nil
        default:
            break
        }
        try await execute(machine.event(event), group: &group)
        switch event {
        case .activated(let id) where id == building?.id:
            let waiting = watchers.removeValue(forKey: id) ?? []
            for watcher in waiting { watcher.yield(.swapped(stream: id, replaced: served?.id)) }
            if let old = served {
                watchers[old.id, default: []] += waiting
            } else {
                waiting.forEach { $0.finish() }
            }
        case .slotLost(let id) where id == building?.id:
            guard let replacement = machine.building else { break }
            let waiting = watchers.removeValue(forKey: id) ?? []
            for watcher in waiting {
                watcher.yield(
                    .building(
                        stream: replacement.id, slot: records[replacement.id]?.slotName ?? "",
                        serving: machine.served?.id))
            }
            watchers[replacement.id, default: []] += waiting
        default:
            break
        }
    }

    mutating func reload(_ request: ReplicationControl.Request, group: inout Group) async throws {
        let hash = request.rules.hash
        rules[hash] = request.rules
        let previous = machine.building
        try await execute(machine.event(.retarget(hash)), group: &group)
        let abandoned = previous.flatMap { $0.id == machine.building?.id ? nil : $0 }
        if let abandoned {
            logger.notice(
                "sync rules changed again; abandoning the stream being built",
                metadata: ["replication.stream": "\(abandoned.id)"])
            for watcher in watchers.removeValue(forKey: abandoned.id) ?? [] {
                watcher.yield(.abandoned(stream: abandoned.id))
                watcher.finish()
            }
        }
        if let building = machine.building, building.hash == hash {
            request.updates.yield(
                .building(
                    stream: building.id, slot: records[building.id]?.slotName ?? "", serving: machine.served?.id))
            watchers[building.id, default: []].append(request.updates)
        } else if let served = machine.served {
            request.updates.yield(
                abandoned.map { .reverted(stream: served.id, abandoned: $0.id) } ?? .unchanged(stream: served.id))
            request.updates.finish()
        } else {
            request.updates.finish()
        }
    }

    mutating func dropped(_ id: Int, failure: String?) {
        records[id] = nil
        for watcher in watchers.removeValue(forKey: id) ?? [] {
            watcher.yield(failure.map { .dropFailed(stream: id, reason: $0) } ?? .dropped(stream: id))
            watcher.finish()
        }
    }

    private mutating func execute(_ actions: [StreamSupervisorStateMachine.Action], group: inout Group) async throws {
        for action in actions {
            switch action {
            case .create:
                guard let target = rules[machine.target] else { continue }
                let record = try await service.storage.createStream(rulesHash: target.hash, content: target.content)
                records[record.id] = record
                logger.notice(
                    machine.served == nil
                        ? "replication stream created" : "building a replication stream for new rules",
                    metadata: [
                        "replication.stream": "\(record.id)", "replication.slot": "\(record.slotName)",
                        "replication.serving": "\(machine.served?.id ?? 0)",
                    ])
                try await execute(machine.event(.created(Stream(id: record.id, hash: record.rulesHash))), group: &group)
            case .run(let id):
                try await run(id, group: &group)
            case .stop(let id):
                if let stopper = stoppers.removeValue(forKey: id) {
                    stopper.finish()
                } else {
                    sink.yield(.event(.stopped(id)))
                }
            case .drop(let id):
                drop(id, group: &group)
            }
        }
    }

    private mutating func run(_ id: Int, group: inout Group) async throws {
        guard let record = records[id] else { return }
        let compiled: SyncRules
        if let known = rules[record.rulesHash] {
            compiled = known.rules
        } else if let stored = try? SyncRules.parse(yaml: record.content) {
            compiled = stored
        } else {
            logger.warning(
                "the stored sync rules of a stream do not compile; its data serves without replication",
                metadata: ["replication.stream": "\(id)"])
            sink.yield(.event(.stopped(id)))
            return
        }
        if tables[record.rulesHash] == nil { tables[record.rulesHash] = try await service.replicatedTables(compiled) }
        let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
        stoppers[id] = stopper
        let (sink, onCheckpoint) = (self.sink, service.onCheckpoint)
        let runner = StreamRunner(
            storage: service.storage, rules: compiled, streamID: id, databaseURL: service.databaseURL,
            availability: service.availability,
            publication: service.config.sync.publication, tables: tables[record.rulesHash] ?? [], logger: logger,
            onCommit: { outcome in
                if let checkpoint = outcome.checkpoint { await onCheckpoint(checkpoint) }
                if outcome.activated { sink.yield(.event(.activated(id))) }
            }, snapshotChunkRows: service.snapshotChunkRows)
        group.addTask {
            let end = await withTaskGroup(of: RunnerEnd.self) { inner in
                inner.addTask {
                    do {
                        try await runner.run()
                        if Task.isCancelled { return .stopped }
                        return .failed(
                            ReplicationError(
                                code: "STACK-R107",
                                message: "Replication of stream \(id) ended without an error. This is a bug in stack; "
                                    + "restart it (stack down; stack up) and report the log."))
                    } catch let error as ReplicationError where error.isSlotLost {
                        return .slotLost
                    } catch {
                        return Task.isCancelled ? .stopped : .failed(error)
                    }
                }
                // Ends when the supervisor finishes the stop switch (or on shutdown): that stops the runner.
                inner.addTask {
                    for await _ in stop {}
                    return .stopped
                }
                let first = await inner.next() ?? .stopped
                inner.cancelAll()
                return first
            }
            switch end {
            case .stopped: sink.yield(.event(.stopped(id)))
            case .slotLost: sink.yield(.event(.slotLost(id)))
            case .failed(let error): sink.yield(.failed(error))
            }
        }
    }

    private func drop(_ id: Int, group: inout Group) {
        guard let record = records[id] else { return }
        let (service, sink) = (self.service, self.sink)
        group.addTask {
            let failure = await service.drop(record)
            sink.yield(.dropped(id, failure: failure))
        }
    }
}
