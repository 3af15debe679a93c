import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the WAL into the database file on a background thread once it holds `threshold` frames, instead of inside
/// the commit that crossed the threshold (SQLite's autocheckpoint).
///
/// A download commits every data line; with autocheckpoint, every 32 MB one of those commits also wrote the whole WAL
/// into the database file and waited for two fsyncs, and so did the checkpoint apply that ends an initial sync. Here
/// the writer only notes the WAL's size (SQLite's WAL hook, called after each commit) and a second connection runs a
/// `PASSIVE` checkpoint, which never blocks the writer or readers. A crash during it loses nothing: the WAL stays
/// until a checkpoint completes.
///
/// SQLite starts writing the WAL from its beginning again only when a write transaction begins with every frame
/// already in the database file, which a checkpoint running beside a writer that keeps committing never achieves: the
/// WAL of a long download grew to several times the database (473 MB for a 188 MB file), and every page appended to
/// it made the file system allocate and zero a new block. So once the WAL holds `restartFrames`, the writer copies the
/// frames the background has not copied yet itself (a `PASSIVE` checkpoint of the remainder, in the commit's WAL
/// hook), and its next transaction writes over the old WAL instead of extending it.
final class BackgroundCheckpointer: Sendable {
    /// WAL bytes that start a checkpoint by default (as frames, one page each).
    static let defaultThresholdBytes = 32 << 20
    /// WAL bytes past which the writer completes the checkpoint itself so the WAL restarts.
    static let defaultRestartBytes = 64 << 20
    private static let queue = DispatchQueue(label: "stack.client.checkpoint", qos: .utility)
    private let path: String
    private let threshold: Int32
    private let restartFrames: Int32
    private let scheduled = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)

    private init(path: String, threshold: Int32, restartFrames: Int32) {
        self.path = path
        self.threshold = threshold
        self.restartFrames = restartFrames
    }

    /// Checkpoints that copied frames (for tests).
    var checkpointsCompleted: Int { completed.load(ordering: .acquiring) }

    /// Replaces the autocheckpoint of `db` (a writable WAL connection to `path`) with a background checkpointer; the
    /// connection keeps it alive until it closes. `threshold` and `restartFrames` count WAL frames; by default they
    /// are `defaultThresholdBytes` and `defaultRestartBytes` in the database's pages.
    @discardableResult
    static func install(
        on db: Database, path: String, threshold: Int32? = nil, restartFrames: Int32? = nil
    ) throws -> BackgroundCheckpointer {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed")
        }
        let pageSize = max(try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096, 512)
        let checkpointer = BackgroundCheckpointer(
            path: path, threshold: threshold ?? Int32(defaultThresholdBytes / pageSize),
            restartFrames: restartFrames ?? Int32(defaultRestartBytes / pageSize))
        let context = Unmanaged.passRetained(checkpointer).toOpaque()
        // SQLite has no close callback, but it destroys a function's user data when its connection closes: the
        // retain above is released there. (On failure SQLite calls the destructor itself.)
        let code = sqlite3_create_function_v2(
            connection, "stack_background_checkpointer", 0, SQLITE_UTF8, context,
            { sqlContext, _, _ in sqlite3_result_null(sqlContext) }, nil, nil,
            { context in context.map { Unmanaged<BackgroundCheckpointer>.fromOpaque($0).release() } })
        guard code == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
        _ = sqlite3_wal_hook(
            connection,
            { context, connection, _, frames in
                if let context {
                    Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(
                        frames, on: connection)
                }
                return SQLITE_OK
            }, context)
        return checkpointer
    }

    /// Called by SQLite after each commit with the frames now in the WAL.
    private func committed(_ frames: Int32, on connection: OpaquePointer?) {
        if frames >= restartFrames {
            // BUSY while the background checkpoint runs: the next commit tries again.
            _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        guard frames >= threshold,
            scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        Self.queue.async {
            self.checkpoint()
            self.scheduled.store(false, ordering: .releasing)
        }
    }

    private func checkpoint() {
        var connection: OpaquePointer?
        defer { sqlite3_close_v2(connection) }
        // Never creates the file: a device removed meanwhile has nothing to checkpoint.
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { return }
        // A new connection only learns the file is in WAL mode when it first reads it; before that a checkpoint
        // does nothing (and says so with -1 frames).
        guard sqlite3_exec(connection, "PRAGMA schema_version", nil, nil, nil) == SQLITE_OK else { return }
        // PASSIVE copies what no reader still needs and returns BUSY rather than wait; the next commit past the
        // threshold tries again.
        var copied: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &copied)
        if code == SQLITE_OK, copied > 0 {
            completed.add(1, ordering: .releasing)
        }
    }
}
