import Foundation
import StackPGOutput

/// Text of the walsender commands stack sends, with names validated and literals quoted.
public enum ReplicationSlotCommands {
    /// `IDENTIFY_SYSTEM`.
    public static let identifySystem = "IDENTIFY_SYSTEM"

    /// `CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput NOEXPORT_SNAPSHOT`.
    public static func createSlot(_ slot: String) throws -> String {
        // No exported snapshot: stack snapshots tables with plain READ COMMITTED queries (PROTOCOL §6.4).
        "CREATE_REPLICATION_SLOT \(try slotName(slot)) LOGICAL pgoutput NOEXPORT_SNAPSHOT"
    }

    /// `DROP_REPLICATION_SLOT <slot> [WAIT]`.
    public static func dropSlot(_ slot: String, wait: Bool) throws -> String {
        "DROP_REPLICATION_SLOT \(try slotName(slot))" + (wait ? " WAIT" : "")
    }

    /// `START_REPLICATION SLOT s LOGICAL <lsn> ("proto_version" '1', "publication_names" '…'[, "messages" 'true'])`.
    public static func startReplication(slot: String, publications: [String], from lsn: LSN, messages: Bool)
        throws -> String
    {
        guard !publications.isEmpty else { throw ReplicationConnectionError.invalidName("publication", "") }
        let names = try publications.map(publicationName).joined(separator: ",")
        var options = "\"proto_version\" '1', \"publication_names\" \(literal(names))"
        if messages {
            options += ", \"messages\" 'true'"
        }
        return "START_REPLICATION SLOT \(try slotName(slot)) LOGICAL \(lsn.postgresDescription) (\(options))"
    }

    /// Postgres only allows lowercase letters, digits and underscores in slot names (ReplicationSlotValidateName).
    public static func slotName(_ name: String) throws -> String {
        let valid =
            (1...63).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        guard valid else { throw ReplicationConnectionError.invalidName("replication slot", name) }
        return name
    }

    /// A publication name as it goes into `publication_names`.
    // pgoutput splits publication_names like an identifier list, so names that are not plain lowercase are
    // double-quoted inside the string literal.
    static func publicationName(_ name: String) throws -> String {
        guard (1...63).contains(name.utf8.count), !name.utf8.contains(0) else {
            throw ReplicationConnectionError.invalidName("publication", name)
        }
        let plain = name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A single-quoted SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// The answer to `IDENTIFY_SYSTEM`.
public struct ReplicationSystemIdentity: Hashable, Sendable {
    /// The cluster's unique system identifier.
    public var systemID: String
    /// Current timeline.
    public var timeline: Int
    /// Current WAL flush position.
    public var xLogPosition: LSN
    /// Database the connection is bound to.
    public var database: String?
}
