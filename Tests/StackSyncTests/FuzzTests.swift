import Foundation
import StackCore
import StackFuzzing
import StackProtocol
import Testing

@testable import StackSync

/// Mutated JWT headers and payloads (re-signed, so the claim checks are reached) and mutated sync request bodies:
/// a `PSYNC_S2xxx` error or a value, never a trap.
/// `STACK_FUZZ_COUNT=200000 swift test --filter StackSyncTests.FuzzTests` for a long run.
@Suite struct FuzzTests {
    static let clock = TestClock()
    static let secret = TestSigner.hmac(Array("a shared secret of 32 bytes!!!!!".utf8))

    static var header: FuzzJSON {
        .object([("alg", .string("HS256")), ("typ", .string("JWT")), ("kid", .string("hs-1"))])
    }

    static var payload: FuzzJSON {
        let iat = Int64(clock.now.timeIntervalSince1970)
        return .object([
            ("sub", .string("user-1")), ("iat", .int(iat)), ("exp", .int(iat + 300)), ("aud", .string("stack")),
            ("parameters", .object([("team", .string("t1")), ("ids", .array([.int(1), .int(2)]))])),
            ("nbf", .int(iat - 10)),
        ])
    }

    @Test func mutatedTokensAreVerifiedOrRefused() async throws {
        try await onOwnThread {
            let verifier = try SyncTokenVerifier(
                audience: ["stack"], jwksURI: nil,
                staticKeys: [Self.secret.jwk(kid: "hs-1", alg: "HS256"), TestSigner.rsaA.jwk(kid: "rsa-1")],
                logger: quietLogger, now: Self.clock.closure)
            let valid = Self.sign(Self.header.bytes, Self.payload.bytes)
            _ = TestSigner.rsaA.sign([1])  // generates the shared RSA key before the clock starts
            let tokenBytes = ByteMutator(
                seeds: [Array(valid.utf8)], dictionary: [".", "..", "-", "_", "=", "+", "/", "eyJ", "e30", " ", "A"])
            let jsonBytes = ByteMutator(
                seeds: [Self.header.bytes, Self.payload.bytes],
                dictionary: [
                    "{", "}", "\"alg\":", "\"none\"", "\"kid\":", "\"crit\":[\"x\"]", "\"exp\":", "\"iat\":", ",",
                ])
            var run = FuzzRun("JWT (sync verifier)", count: 20_000, seconds: 6)
            for index in run.indices {
                var random = run.random(index)
                let token: String
                switch random.int(0..<10) {
                case 0, 1:  // raw token bytes mutated: mostly malformed or a bad signature
                    token = String(decoding: tokenBytes.mutant(using: &random), as: UTF8.self)
                case 2, 3:  // header or payload bytes mutated, then signed
                    let mutant = jsonBytes.mutant(using: &random)
                    token =
                        random.chance(50) ? Self.sign(mutant, Self.payload.bytes) : Self.sign(Self.header.bytes, mutant)
                case 4, 5, 6:  // payload tree mutated (type swaps, huge numbers, nesting), then signed
                    token = Self.sign(Self.header.bytes, Self.payload.mutated(using: &random).bytes)
                case 7:  // header tree mutated, then signed
                    token = Self.sign(Self.header.mutated(using: &random).bytes, Self.payload.bytes)
                case 8:  // random JSON in both parts
                    token = Self.sign(
                        FuzzJSON.random(depth: 3, using: &random).bytes, FuzzJSON.random(depth: 3, using: &random).bytes
                    )
                default:  // signed with another key or algorithm
                    let alg = random.pick(["HS384", "HS512", "RS256", "ES256", "none", "EdDSA"])
                    let header = FuzzJSON.object([
                        ("alg", .string(alg)), ("kid", .string(random.pick(["hs-1", "rsa-1", "x"]))),
                    ])
                    let signer = alg.hasPrefix("RS") ? TestSigner.rsaA : Self.secret
                    let input = b64(header.bytes) + "." + b64(Self.payload.mutated(using: &random).bytes)
                    token = input + "." + b64(signer.sign(Array(input.utf8), alg: alg))
                }
                run.show(index, Array(token.utf8))
                do throws(SyncServiceError) {
                    let verified = try await verifier.verify(token: token)
                    run.record(accepted: true)
                    // What is accepted goes on into the sync rules' request parameters.
                    let user = SyncUser(
                        userID: verified.userID, payload: verified.payload, expiresAt: verified.expiresAt)
                    do throws(SyncServiceError) {
                        _ = try SyncService.requestParameters(user: user, body: StreamingSyncRequest())
                    } catch {
                        #expect(error.status == 400, "\(run.origin(index))")
                    }
                } catch {
                    run.record(accepted: false)
                    #expect(error.status == 401, "\(run.origin(index)): \(error.code) \(error.status)")
                    #expect(error.code.hasPrefix("PSYNC_S21"), "\(run.origin(index)): \(error.code)")
                    let signature = token.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
                    #expect(signature.count < 8 || !error.description.contains(signature), "\(run.origin(index))")
                    #expect(!error.description.contains(token), "\(run.origin(index)): token echoed")
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    static var request: FuzzJSON {
        .object([
            (
                "buckets",
                .array([
                    .object([("name", .string("user_docs[\"u1\"]")), ("after", .string("12"))]),
                    .object([("name", .string("1#global[]")), ("after", .int(0))]),
                ])
            ),
            ("include_checksum", .bool(true)), ("raw_data", .bool(true)), ("binary_data", .bool(false)),
            ("client_id", .string("client-1")),
            (
                "parameters",
                .object([("team", .string("t1")), ("n", .int(3)), ("list", .array([.null, .bool(true)]))])
            ),
            ("app_metadata", .object([("app", .string("demo"))])),
            (
                "streams",
                .object([
                    ("include_defaults", .bool(true)),
                    (
                        "subscriptions",
                        .array([
                            .object([
                                ("stream", .string("todos")), ("parameters", .object([])),
                                ("override_priority", .int(1)),
                            ])
                        ])
                    ),
                ])
            ),
        ])
    }

    @Test func mutatedSyncRequestsDecodeOrAre400() async {
        await onOwnThread {
            let bytes = ByteMutator(
                seeds: [Self.request.bytes, Array("{}".utf8)], dictionary: ["\"after\":", "\"buckets\":"])
            let user = SyncUser(
                userID: "user-1", payload: .object(["sub": .string("user-1")]), expiresAt: Self.clock.now)
            var run = FuzzRun("sync request body", count: 20_000, seconds: 6)
            for index in run.indices {
                var random = run.random(index)
                let body: [UInt8] =
                    switch random.int(0..<10) {
                    case 0, 1, 2: bytes.mutant(using: &random)
                    case 3: FuzzJSON.random(depth: 4, using: &random).bytes
                    default: Self.request.mutated(using: &random).bytes
                    }
                run.show(index, body)
                do {
                    let request = try SyncService.decode(
                        StreamingSyncRequest.self, from: Data(body), empty: StreamingSyncRequest())
                    _ = request.positions
                    var writer = JSONWriter()
                    request.write(to: &writer)
                    do throws(SyncServiceError) {
                        _ = try SyncService.requestParameters(user: user, body: request)
                        run.record(accepted: true)
                    } catch {
                        #expect(error.status == 400 && error.code == "PSYNC_S2001", "\(run.origin(index))")
                        run.record(accepted: false)
                    }
                } catch let error as SyncServiceError {
                    #expect(error.status == 400 && error.code == "PSYNC_S2001", "\(run.origin(index)): \(error.code)")
                    var writer = JSONWriter()
                    error.body.write(to: &writer)
                    #expect(writer.bytes.starts(with: Array(#"{"error":{"#.utf8)), "\(run.origin(index))")
                    run.record(accepted: false)
                } catch {
                    Issue.record("\(run.origin(index)): decode threw \(type(of: error)), not SyncServiceError")
                    run.record(accepted: false)
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    /// A compact JWT over the given header and payload bytes, signed with the HS256 test secret.
    static func sign(_ header: [UInt8], _ payload: [UInt8]) -> String {
        let input = b64(header) + "." + b64(payload)
        return input + "." + b64(secret.sign(Array(input.utf8), alg: "HS256"))
    }
}

/// The slow input the fuzzer found, kept as a fixed case: deep nesting is refused before decoding.
@Suite struct DeepNestingTests {
    @Test func deeplyNestedRequestBodiesAndTokensAreRefusedQuickly() async throws {
        try await onOwnThread {
            let deep = String(repeating: "[", count: 2_000) + String(repeating: "]", count: 2_000)
            let start = ContinuousClock.now
            #expect {
                try SyncService.decode(
                    StreamingSyncRequest.self, from: Data(#"{"parameters":{"a":\#(deep)}}"#.utf8), empty: nil)
            } throws: { error in
                (error as? SyncServiceError)?.description.contains("nested more than 64") == true
            }
            #expect(throws: SyncServiceError.self) {
                try CompactJWT(b64(Array("{}".utf8)) + "." + b64(Array(deep.utf8)) + ".")
            }
            #expect(ContinuousClock.now - start < .seconds(1))
            // 64 levels still decode.
            let allowed = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
            _ = try SyncService.decode(
                StreamingSyncRequest.self, from: Data(#"{"parameters":\#(allowed)}"#.utf8), empty: nil)
        }
    }
}
