import Testing

@testable import StackReplication

/// The supervisor's decisions over streams: which serves, which is built, what is stopped and dropped.
@Suite("stream supervisor state machine")
struct StreamSupervisorStateMachineTests {
    typealias Machine = StreamSupervisorStateMachine
    typealias Stream = StreamSupervisorStateMachine.Stream

    @Test("first start: no streams, so one is created and run")
    func firstStart() {
        var machine = Machine(target: "A")
        #expect(machine.event(.started([], active: [])) == [.create])
        #expect(machine.event(.created(Stream(id: 1, hash: "A"))) == [.run(1)])
        #expect(machine.building == Stream(id: 1, hash: "A") && machine.served == nil)
        #expect(machine.event(.activated(1)) == [])
        #expect(machine.served == Stream(id: 1, hash: "A") && machine.building == nil)
    }

    @Test("restart with the same rules resumes the active stream; stale builds are dropped")
    func restartSameRules() {
        var machine = Machine(target: "A")
        let actions = machine.event(.started([Stream(id: 1, hash: "A"), Stream(id: 2, hash: "B")], active: [1]))
        #expect(actions == [.drop(2), .run(1)])
        #expect(machine.served?.id == 1 && machine.building == nil)
    }

    @Test("restart with changed rules: the old stream serves and replicates while the new one builds, then is dropped")
    func restartChangedRules() {
        var machine = Machine(target: "B")
        #expect(machine.event(.started([Stream(id: 1, hash: "A")], active: [1])) == [.run(1), .create])
        #expect(machine.event(.created(Stream(id: 2, hash: "B"))) == [.run(2)])
        #expect(machine.running == [1, 2])
        #expect(machine.event(.activated(2)) == [.stop(1)])
        #expect(machine.served?.id == 2)
        #expect(machine.event(.stopped(1)) == [.drop(1)])
        #expect(machine.running == [2])
    }

    @Test("restart while a build for the config's rules is in progress resumes both")
    func restartDuringBuild() {
        var machine = Machine(target: "B")
        let actions = machine.event(.started([Stream(id: 1, hash: "A"), Stream(id: 2, hash: "B")], active: [1]))
        #expect(actions == [.run(1), .run(2)])
        #expect(machine.building?.id == 2)
    }

    @Test("a build older than the served stream is never resumed: it could not take over")
    func olderBuildIsDropped() {
        var machine = Machine(target: "B")
        let actions = machine.event(.started([Stream(id: 1, hash: "B"), Stream(id: 2, hash: "A")], active: [2]))
        #expect(actions == [.drop(1), .run(2), .create])
    }

    @Test("reload to new rules builds while serving; unchanged and repeated reloads do nothing")
    func reload() {
        var machine = Machine(target: "A")
        _ = machine.event(.started([Stream(id: 1, hash: "A")], active: [1]))
        #expect(machine.event(.retarget("A")) == [])
        #expect(machine.event(.retarget("B")) == [.create])
        _ = machine.event(.created(Stream(id: 2, hash: "B")))
        #expect(machine.event(.retarget("B")) == [])
        #expect(machine.building?.id == 2 && machine.served?.id == 1)
    }

    @Test("reload to other rules mid-build abandons the build; back to the served rules builds nothing")
    func reloadMidBuild() {
        var machine = Machine(target: "A")
        _ = machine.event(.started([Stream(id: 1, hash: "A")], active: [1]))
        _ = machine.event(.retarget("B"))
        _ = machine.event(.created(Stream(id: 2, hash: "B")))
        #expect(machine.event(.retarget("C")) == [.stop(2), .create])
        _ = machine.event(.created(Stream(id: 3, hash: "C")))
        #expect(machine.event(.stopped(2)) == [.drop(2)])
        #expect(machine.event(.retarget("A")) == [.stop(3)])
        #expect(machine.building == nil && machine.served?.id == 1)
        #expect(machine.event(.stopped(3)) == [.drop(3)])
        // The abandoned build's late activation (a commit in flight) changes nothing.
        #expect(machine.event(.activated(3)) == [])
        #expect(machine.served?.id == 1)
    }

    @Test("a lost slot of the served stream starts a replacement; the old data serves until it takes over")
    func servedSlotLost() {
        var machine = Machine(target: "A")
        _ = machine.event(.started([Stream(id: 1, hash: "A")], active: [1]))
        #expect(machine.event(.slotLost(1)) == [.create])
        _ = machine.event(.created(Stream(id: 2, hash: "A")))
        #expect(machine.served?.id == 1)
        #expect(machine.event(.activated(2)) == [.drop(1)])
    }

    @Test("a lost slot of the stream being built is replaced by a new build")
    func buildSlotLost() {
        var machine = Machine(target: "A")
        _ = machine.event(.started([Stream(id: 1, hash: "A")], active: [1]))
        _ = machine.event(.retarget("B"))
        _ = machine.event(.created(Stream(id: 2, hash: "B")))
        #expect(machine.event(.slotLost(2)) == [.drop(2), .create])
        #expect(machine.served?.id == 1 && machine.building == nil)
    }

    @Test("reload back to the served rules after its slot was lost rebuilds them")
    func revertAfterServedSlotLost() {
        var machine = Machine(target: "A")
        _ = machine.event(.started([Stream(id: 1, hash: "A")], active: [1]))
        _ = machine.event(.retarget("B"))
        _ = machine.event(.created(Stream(id: 2, hash: "B")))
        #expect(machine.event(.slotLost(1)) == [])
        #expect(machine.event(.retarget("A")) == [.stop(2), .create])
    }
}
