extension SyncClient.StreamEnd: CustomStringConvertible {
    /// Why a stream ended, in words: the `disconnected` event's reason in `watch`.
    var description: String {
        switch self {
        case .stopped: "stopped"
        case .reconnect(let reason): reason.description
        case .closed: "the sync service closed the stream"
        }
    }
}
