import Foundation
import StackFuzzing
import Testing
import _CryptoExtras

@testable import StackAuth

/// Mutated bearer headers and access tokens (headers and payloads re-signed with the issuer's key, so the claim
/// decoding and checks are reached): claims or `AuthError` 401 `INVALID_TOKEN`, never a trap.
/// `STACK_FUZZ_COUNT=50000 swift test --filter StackAuthTests.FuzzTests` for a long run.
@Suite struct FuzzTests {
    @Test func mutatedAccessTokensAreVerifiedOrRefused() async throws {
        try await onOwnThread {
            let backing = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let key = SigningKey(id: "fuzz-key", privateKey: try .init(backing: backing), createdAt: Date())
            let origin = try AuthOrigin(baseURL: "https://auth.example.com/api/auth")
            let issuer = try await JWTIssuer(signingKey: key, origin: origin, lifetime: 900)
            let now = Date()
            let iat = Int64(now.timeIntervalSince1970)
            let header = FuzzJSON.object([
                ("alg", .string("RS256")), ("kid", .string("fuzz-key")), ("typ", .string("JWT")),
            ])
            let payload = FuzzJSON.object([
                ("id", .string("u1")), ("name", .string("Ada")), ("email", .string("ada@example.com")),
                ("emailVerified", .bool(false)), ("image", .null), ("createdAt", .string("2024-05-01T12:00:00.123Z")),
                ("updatedAt", .string("2024-05-01T12:00:01.000Z")), ("sub", .string("u1")), ("iat", .int(iat)),
                ("exp", .int(iat + 900)), ("iss", .string("https://auth.example.com")),
                ("aud", .string("https://auth.example.com")),
            ])
            func sign(_ header: [UInt8], _ payload: [UInt8]) -> String {
                let input = Self.b64(header) + "." + Self.b64(payload)
                let signature = try! backing.signature(
                    for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
                return input + "." + Self.b64(signature.rawRepresentation)
            }
            let valid = sign(header.bytes, payload.bytes)
            #expect(try await issuer.verify(valid, now: now).sub == "u1")
            let tokenBytes = ByteMutator(
                seeds: [Array(valid.utf8)], dictionary: [".", "..", "-", "_", "=", " ", "eyJ", "e30"])
            let jsonBytes = ByteMutator(
                seeds: [header.bytes, payload.bytes], dictionary: ["\"alg\":", "\"none\"", "\"exp\":"])
            var run = FuzzRun("JWT (auth server)", count: 3_000, seconds: 5)
            for index in run.indices {
                var random = run.random(index)
                let token: String
                switch random.int(0..<10) {
                case 0, 1: token = String(decoding: tokenBytes.mutant(using: &random), as: UTF8.self)
                case 2: token = sign(jsonBytes.mutant(using: &random), payload.bytes)
                case 3: token = sign(header.bytes, jsonBytes.mutant(using: &random))
                case 4: token = sign(header.mutated(using: &random).bytes, payload.bytes)
                case 5:
                    token = sign(
                        FuzzJSON.random(depth: 3, using: &random).bytes, FuzzJSON.random(depth: 3, using: &random).bytes
                    )
                default: token = sign(header.bytes, payload.mutated(using: &random).bytes)
                }
                // The bearer parser sees the token behind assorted schemes and spacing first.
                let scheme = random.pick(["Bearer ", "bearer ", "BEARER  ", "Bearer\t", "Token ", "", "Bearer"])
                if let bearer = AuthService.bearerJWT(scheme + token) {
                    #expect(bearer.split(separator: ".", omittingEmptySubsequences: false).count == 3)
                }
                do throws(AuthError) {
                    let claims = try await issuer.verify(token, now: now)
                    _ = AuthenticatedUser(
                        id: claims.sub, credential: .jwt,
                        expiresAt: Date(timeIntervalSince1970: TimeInterval(claims.exp)))
                    run.record(accepted: true)
                } catch {
                    #expect(error.status == 401 && error.code == "INVALID_TOKEN", "\(run.origin(index)): \(error.code)")
                    #expect(
                        !String(decoding: error.responseBody, as: UTF8.self).contains(token), "\(run.origin(index))")
                    run.record(accepted: false)
                }
            }
            run.report()
            #expect(run.sawBothOutcomes, "\(run.summary)")
        }
    }

    static func b64(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
