import Logging
import StackPGOutput
import StackPostgres
import Testing

@Suite struct ReplicationSlotCommandsTests {
    @Test func buildsStartReplicationWithQuotedPublicationList() throws {
        let command = try ReplicationSlotCommands.startReplication(
            slot: "powersync_1_a587", publications: ["powersync", "My'Pub"], from: LSN("16/B374D848")!, messages: true)
        #expect(
            command == "START_REPLICATION SLOT powersync_1_a587 LOGICAL 16/B374D848 (\"proto_version\" '1', "
                + "\"publication_names\" 'powersync,\"My''Pub\"', \"messages\" 'true')")
        let plain = try ReplicationSlotCommands.startReplication(
            slot: "s", publications: ["p"], from: .zero, messages: false)
        #expect(plain == "START_REPLICATION SLOT s LOGICAL 0/0 (\"proto_version\" '1', \"publication_names\" 'p')")
    }

    @Test func slotCommands() throws {
        #expect(
            try ReplicationSlotCommands.createSlot("fx")
                == "CREATE_REPLICATION_SLOT fx LOGICAL pgoutput NOEXPORT_SNAPSHOT")
        #expect(try ReplicationSlotCommands.dropSlot("fx", wait: true) == "DROP_REPLICATION_SLOT fx WAIT")
        #expect(try ReplicationSlotCommands.dropSlot("fx", wait: false) == "DROP_REPLICATION_SLOT fx")
    }

    @Test(arguments: ["", "Upper", "has space", "semi;colon", "quote'", String(repeating: "a", count: 64)])
    func rejectsUnsafeSlotNames(name: String) {
        #expect(throws: ReplicationConnectionError.self) { try ReplicationSlotCommands.createSlot(name) }
    }

    @Test func rejectsNonPostgresURLs() async {
        for url in ["mysql://u@h/db", "not a url at all ::"] {
            do {
                _ = try await LibPQReplicationConnection.connect(url: url, logger: Logger(label: "test"))
                Issue.record("accepted \(url)")
            } catch let error as ReplicationConnectionError {
                #expect(error.code == "STACK-R030")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
