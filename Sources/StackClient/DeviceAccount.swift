import GRDB
import StackCore

/// The signed-in user of a device, and the account-switch rule: another user's sign-in wipes synced data.
public struct DeviceAccount: Sendable, Equatable {
    /// The user id whose data the device holds.
    public var userID: String
    /// The user's email, for display.
    public var email: String?
    /// The session token (bearer credential); nil after sign-out.
    public var sessionToken: String?

    /// Creates an account record.
    public init(userID: String, email: String?, sessionToken: String?) {
        self.userID = userID
        self.email = email
        self.sessionToken = sessionToken
    }

    /// The stored account, if any user ever signed in on this device.
    public static func load(_ db: Database) throws -> DeviceAccount? {
        guard let userID = try ClientDatabase.kv(db, ClientKV.ownerUserID) else { return nil }
        return DeviceAccount(
            userID: userID, email: try ClientDatabase.kv(db, ClientKV.userEmail),
            sessionToken: try ClientDatabase.kv(db, ClientKV.sessionToken))
    }

    /// Records a sign-in; returns true when it was a different user and synced data was wiped.
    ///
    /// Local-only tables are kept: they belong to the device, not the account (the seed apps' rule). The previous
    /// user's changes that were never uploaded go with the wipe, so a switch refuses while there are any
    /// (`ClientError.pendingUploads`, nothing changed) unless `discardPending` says to drop them.
    @discardableResult
    public static func signIn(_ database: ClientDatabase, account: DeviceAccount, discardPending: Bool = false) throws
        -> Bool
    {
        try database.queue.write { db in
            let previous = try ClientDatabase.kv(db, ClientKV.ownerUserID)
            let switched = previous != nil && previous != account.userID
            if switched, !discardPending {
                let pending = try Int.fetchOne(db, sql: "SELECT count(DISTINCT coalesce(tx_id, -id)) FROM ps_crud") ?? 0
                if pending > 0 {
                    throw ClientError.pendingUploads(
                        transactions: pending, email: try ClientDatabase.kv(db, ClientKV.userEmail))
                }
            }
            if switched { try wipeSyncedData(db, schema: database.schema) }
            try ClientDatabase.setKV(db, ClientKV.ownerUserID, account.userID)
            try ClientDatabase.setKV(db, ClientKV.userEmail, account.email)
            try ClientDatabase.setKV(db, ClientKV.sessionToken, account.sessionToken)
            return switched
        }
    }

    /// Forgets the session token; the owner id stays so the next sign-in can detect a switch.
    public static func signOut(_ database: ClientDatabase) throws {
        try database.queue.write { db in try ClientDatabase.setKV(db, ClientKV.sessionToken, nil) }
    }

    /// Deletes all synced rows, sync state and the upload queue of the previous user.
    public static func wipeSyncedData(_ db: Database, schema: ClientSchema) throws {
        for table in schema.syncedTableNames {
            try db.execute(sql: "DELETE FROM \"\(ClientSchema.dataTable(table))\"")
        }
        for table in [
            "ps_oplog", "ps_buckets", "ps_updated_rows", "ps_untyped", "ps_crud", "ps_sync_state", "ps_rejected",
        ] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        for key in [ClientKV.targetWriteCheckpoint, ClientKV.lastSeenWriteCheckpoint] {
            try ClientDatabase.setKV(db, key, nil)
        }
    }
}
