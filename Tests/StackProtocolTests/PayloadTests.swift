import Foundation
import StackCore
import StackProtocol
import Testing

@Suite struct PayloadTests {
    @Test func uploadRequestAcceptsBothOpForms() throws {
        let request = try JSONDecoder().decode(UploadRequest.self, from: Fixture.data("upload_request.json"))
        #expect(request.clientID == "c1")
        #expect(request.transactions.map(\.opID) == ["42", "43"])
        let ops = request.transactions[0].ops
        #expect(ops.map(\.op) == [.put, .patch, .delete])
        #expect(ops.map(\.table) == ["documents", "documents", "documents"])
        #expect(ops[0].data == ["title": .string("A"), "content": .string("x")])
        #expect(ops[1].data == ["title": .null])
        #expect(ops[2].data == nil)
        let reencoded = try JSONDecoder().decode(UploadRequest.self, from: JSONEncoder().encode(request))
        #expect(reencoded == request)
    }

    @Test func uploadResponseAndRejections() throws {
        let text = #"{"applied":["1"],"rejected":[{"op_id":"2","op_index":1,"code":"STACK-U001","message":"no"}]}"#
        let response = try JSONDecoder().decode(UploadResponse.self, from: Data(text.utf8))
        #expect(response.applied == ["1"])
        #expect(response.rejected == [UploadRejection(opID: "2", opIndex: 1, code: "STACK-U001", message: "no")])
        #expect(try JSONDecoder().decode(UploadResponse.self, from: Data("{}".utf8)).applied.isEmpty)
    }

    @Test func writeCheckpointAndErrorBodies() throws {
        let text = #"{"data":{"write_checkpoint":"17"}}"#
        let response = try JSONDecoder().decode(WriteCheckpointResponse.self, from: Data(text.utf8))
        #expect(response.data.writeCheckpoint == OpID(17))
        let error = ServiceErrorBody(
            error: ServiceErrorDetail(
                name: "AuthorizationError", code: "PSYNC_S2103", status: 401, description: "JWT has expired"))
        let bytes = error.jsonBytes()
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"error":{"name":"AuthorizationError","code":"PSYNC_S2103","status":401,"description":"JWT has expired"}}"#)
        #expect(try JSONDecoder().decode(ServiceErrorBody.self, from: Data(bytes)) == error)
    }

    @Test func authPayloadsDecodeBetterAuthShapes() throws {
        let signIn = #"""
            {"redirect":false,"token":"tok","user":{"id":"u1","email":"a@b.c","name":"A","emailVerified":false,
            "image":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}}
            """#
        let session = try JSONDecoder().decode(AuthSessionResponse.self, from: Data(signIn.utf8))
        #expect(session.token == "tok")
        #expect(session.user.id == "u1")
        let config = try JSONDecoder().decode(
            PowerSyncConfigResponse.self, from: Data(#"{"powersyncUrl":"http://x:8080","userId":"u1"}"#.utf8))
        #expect(config == PowerSyncConfigResponse(powersyncUrl: "http://x:8080", userId: "u1"))
        #expect(try JSONDecoder().decode(TokenResponse.self, from: Data(#"{"token":"j"}"#.utf8)).token == "j")
    }

    @Test func opIDsAreDecimalStrings() throws {
        #expect(OpID("0012") == OpID(12))
        #expect(OpID("-1") == nil)
        #expect(OpID("1e3") == nil)
        #expect(OpID("99999999999999999999") == nil)
        #expect(String(decoding: try JSONEncoder().encode([OpID(5)]), as: UTF8.self) == #"["5"]"#)
        #expect(try JSONDecoder().decode([OpID].self, from: Data("[\"7\",8]".utf8)) == [OpID(7), OpID(8)])
    }
}
