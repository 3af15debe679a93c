import StackBuckets
import StackSyncRules
import Synchronization

/// Lets the stream run while tables are still being snapshotted without either overwriting the other's newer state.
///
/// The stream starts right after the slot exists, so the slot's confirmed LSN advances during a long snapshot and
/// Postgres never has to keep (or invalidate, past `max_slot_wal_keep_size`) the snapshot's WAL. A snapshot chunk
/// reads rows as they are at the time it reads; a stream commit may meanwhile have written a newer state of some of
/// those rows. Stream commits and chunk commits therefore take turns (`exclusively`), the stream records the keys it
/// wrote while their table is still being copied, and a chunk leaves those keys out: the stream delivers every change
/// after them anyway. A truncate in the stream leaves out the rest of that table's snapshot (rows inserted after it
/// arrive through the stream too).
final class SnapshotGuard: Sendable {
    private struct State {
        var copying: Set<SourceTable> = []
        var written: [SourceTable: Set<String>] = [:]
        var truncated: Set<SourceTable> = []
        var rowsAreNew = true
    }

    private let lock = AsyncLock()
    private let state = Mutex(State())

    /// Creates a guard that watches nothing.
    init() {}

    /// Starts watching `tables` (those whose snapshot is not finished). `rowsAreNew` is false when bucket storage may
    /// hold rows of them that this process did not see written (the stream committed before a restart): snapshot
    /// chunks must then be planned against the stored rows.
    func begin(tables: [SourceTable], rowsAreNew: Bool) {
        state.withLock { state in
            state.copying = Set(tables)
            state.written = [:]
            state.truncated = []
            state.rowsAreNew = rowsAreNew
        }
    }

    /// True while some table's snapshot is unfinished.
    var isActive: Bool { state.withLock { !$0.copying.isEmpty } }

    /// True when no stored row can exist for keys the stream has not written (see `begin`).
    var rowsAreNew: Bool { state.withLock { $0.rowsAreNew } }

    /// Runs `body` while no other stream or chunk commit runs.
    func exclusively<T>(_ body: () async throws -> T) async rethrows -> T {
        try await lock.withLock(body)
    }

    /// Records the keys of committed stream changes whose tables are still being copied (call inside `exclusively`).
    func recordStreamWrites(_ changes: [RowChange]) {
        state.withLock { state in
            guard !state.copying.isEmpty else { return }
            for change in changes {
                switch change {
                case .put(let table, let key, let oldKey, _, _):
                    guard state.copying.contains(table) else { continue }
                    state.written[table, default: []].insert(key)
                    if let oldKey { state.written[table, default: []].insert(oldKey) }
                case .delete(let table, let key):
                    guard state.copying.contains(table) else { continue }
                    state.written[table, default: []].insert(key)
                case .truncate(let tables):
                    for table in tables where state.copying.contains(table) { state.truncated.insert(table) }
                }
            }
        }
    }

    /// The snapshot changes of `table` the stream has not superseded; nil when that is all of them (call inside
    /// `exclusively`, right before writing them).
    func unsuperseded(_ changes: [RowChange], table: SourceTable) -> [RowChange]? {
        state.withLock { state in
            if state.truncated.contains(table) { return changes.isEmpty ? nil : [] }
            guard let written = state.written[table], !written.isEmpty else { return nil }
            let kept = changes.filter { change in
                guard case .put(_, let key, _, _, _) = change else { return true }
                return !written.contains(key)
            }
            return kept.count == changes.count ? nil : kept
        }
    }

    /// Stops watching `table`: its snapshot is finished (or it does not exist).
    func finish(_ table: SourceTable) {
        state.withLock { state in
            state.copying.remove(table)
            state.written[table] = nil
            state.truncated.remove(table)
        }
    }
}
