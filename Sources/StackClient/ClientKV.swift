/// Keys of `ps_kv`, the device's small persistent settings.
public enum ClientKV {
    /// Stable per-database id (UUID), sent as `client_id`.
    public static let clientID = "client_id"
    /// The write checkpoint that must come back before downloaded data may be applied (Int64.max while
    /// local writes are pending and no checkpoint has been requested yet).
    public static let targetWriteCheckpoint = "target_write_checkpoint"
    /// The latest write checkpoint seen in a complete checkpoint.
    public static let lastSeenWriteCheckpoint = "last_seen_write_checkpoint"
    /// The user whose data this device holds (account-switch detection).
    public static let ownerUserID = "owner_user_id"
    /// The session token (bearer) of the signed-in user.
    public static let sessionToken = "session_token"
    /// The signed-in user's email, for display.
    public static let userEmail = "user_email"
    /// `1` while the device is offline (writes queue locally, nothing is sent).
    public static let offline = "offline"
    /// The buckets whose checksums failed validation most recently, comma-separated.
    public static let lastChecksumMismatch = "last_checksum_mismatch"
    /// When that was (ISO 8601).
    public static let lastChecksumMismatchAt = "last_checksum_mismatch_at"
}
