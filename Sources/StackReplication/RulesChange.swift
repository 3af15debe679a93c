/// One step of a sync-rules change asked for with `ReplicationControl.reload` (PROTOCOL §6.6).
public enum RulesChange: Sendable, Hashable {
    /// The rules are the served stream's: nothing to do.
    case unchanged(stream: Int)
    /// A stream for the rules is being built (snapshot, then catch-up) while `serving` keeps serving.
    case building(stream: Int, slot: String, serving: Int?)
    /// The rules are the served stream's again: the build of other rules in progress was abandoned.
    case reverted(stream: Int, abandoned: Int)
    /// A later change replaced these rules before their stream took over; it is being dropped.
    case abandoned(stream: Int)
    /// The new stream caught up and serves now; `replaced` is being dropped.
    case swapped(stream: Int, replaced: Int?)
    /// The replaced stream's slot and bucket data are gone.
    case dropped(stream: Int)
    /// The replaced stream could not be dropped now (it stays STOP and is dropped at the next start).
    case dropFailed(stream: Int, reason: String)
}
