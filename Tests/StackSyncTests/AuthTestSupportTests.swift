import Crypto
import CryptoExtras
import Foundation
import Hummingbird
import Logging
import NIOCore
import StackCore
import Synchronization
import Testing

@testable import StackSync

/// Keys and token signing for the auth tests, with swift-crypto directly (independent of the verifier's jwt-kit).
enum TestSigner: Sendable {
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case hmac([UInt8])
    case unsigned

    /// Shared 2048-bit RSA keys (generation is slow).
    static let rsaA = TestSigner.rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048))
    static let rsaB = TestSigner.rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048))

    /// The signature over `input` for `alg` (`.unsigned` gives an empty signature).
    func sign(_ input: [UInt8], alg: String = "") -> [UInt8] {
        switch self {
        case .rsa(let key):
            let signature =
                switch alg {
                case "RS384": try! key.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
                case "RS512": try! key.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
                default: try! key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
                }
            return Array(signature.rawRepresentation)
        case .p256(let key): return Array(try! key.signature(for: input).rawRepresentation)
        case .ed25519(let key): return Array(try! key.signature(for: input))
        case .hmac(let secret):
            let key = SymmetricKey(data: secret)
            switch alg {
            case "HS384": return Array(HMAC<SHA384>.authenticationCode(for: input, using: key))
            case "HS512": return Array(HMAC<SHA512>.authenticationCode(for: input, using: key))
            default: return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
            }
        case .unsigned: return []
        }
    }

    /// The public JWK (or the `oct` JWK of a secret), with `kid`/`alg` when given.
    func jwk(kid: String? = nil, alg: String? = nil) -> [String: JSONValue] {
        var jwk: [String: JSONValue]
        switch self {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            jwk = [
                "kty": .string("RSA"), "n": .string(b64(primitives.modulus)),
                "e": .string(b64(primitives.publicExponent)),
            ]
        case .p256(let key):
            let point = Array(key.publicKey.x963Representation.dropFirst())
            jwk = [
                "kty": .string("EC"), "crv": .string("P-256"), "x": .string(b64(point.prefix(32))),
                "y": .string(b64(point.suffix(32))),
            ]
        case .ed25519(let key):
            jwk = [
                "kty": .string("OKP"), "crv": .string("Ed25519"), "x": .string(b64(key.publicKey.rawRepresentation)),
            ]
        case .hmac(let secret):
            jwk = ["kty": .string("oct"), "k": .string(b64(secret))]
        case .unsigned:
            jwk = [:]
        }
        if let kid { jwk["kid"] = .string(kid) }
        if let alg { jwk["alg"] = .string(alg) }
        return jwk
    }

    /// The RSA public key as PEM text (for the HS256 key-confusion attack).
    var publicPEM: String {
        guard case .rsa(let key) = self else { return "" }
        return key.publicKey.pemRepresentation
    }

    /// A compact JWT over `header` and `payload` JSON.
    func token(alg: String, kid: String? = nil, payload: [String: JSONValue]) -> String {
        var header: [String: JSONValue] = ["alg": .string(alg), "typ": .string("JWT")]
        if let kid { header["kid"] = .string(kid) }
        return token(header: header, payload: .object(payload))
    }

    /// A compact JWT over arbitrary header and payload values.
    func token(header: [String: JSONValue], payload: JSONValue) -> String {
        let input = b64(json(.object(header))) + "." + b64(json(payload))
        return input + "." + b64(sign(Array(input.utf8), alg: header["alg"]?.stringValue ?? ""))
    }
}

/// Unpadded base64url.
func b64(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func json(_ value: JSONValue) -> [UInt8] {
    Array(try! JSONEncoder().encode(value))
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))

    /// The current time.
    var now: Date { current.withLock { $0 } }
    /// The closure the verifier reads.
    var closure: @Sendable () -> Date { { self.now } }

    func advance(_ seconds: Double) { current.withLock { $0 += seconds } }

    /// `sub`, `iat`, `exp` (5 min), `aud: stack`, plus `extra`.
    func claims(_ extra: [String: JSONValue] = [:], lifetime: Double = 300) -> [String: JSONValue] {
        let iat = Int64(now.timeIntervalSince1970)
        var claims: [String: JSONValue] = [
            "sub": .string("user-1"), "iat": .integer(iat), "exp": .integer(iat + Int64(lifetime)),
            "aud": .string("stack"),
        ]
        claims.merge(extra) { $1 }
        return claims
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "auth-tests")
    logger.logLevel = .critical
    return logger
}()

/// Verifies `token` and checks it fails with `code`, a description containing `message` (if given) and no part
/// of the token.
func expectFailure(
    _ verifier: SyncTokenVerifier, token: String, code: String, message: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        _ = try await verifier.verify(token: token)
        Issue.record("token was accepted, expected \(code)", sourceLocation: sourceLocation)
    } catch {
        expectClean(error, token: token, code: code, message: message, sourceLocation: sourceLocation)
    }
}

/// `error` has `code`, contains `message` and quotes no part of `token`.
func expectClean(
    _ error: SyncServiceError, token: String, code: String, message: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(error.code == code, "\(error.description)", sourceLocation: sourceLocation)
    #expect(error.status == 401 || code == "PSYNC_S2201", sourceLocation: sourceLocation)
    if let message {
        #expect(error.description.contains(message), "\(error.description)", sourceLocation: sourceLocation)
    }
    for part in token.split(separator: ".") where part.count >= 6 {
        #expect(!error.description.contains(part), "description quotes the token", sourceLocation: sourceLocation)
    }
}

/// A real HTTP JWKS endpoint on 127.0.0.1 whose keys the test changes.
final class JWKSServer: Sendable {
    private let keys: Mutex<[[String: JSONValue]]>
    private let requests = Mutex(0)
    private let held = Mutex(false)

    init(keys: [[String: JSONValue]]) { self.keys = Mutex(keys) }

    /// While true, requests are answered only once it is set back to false (a JWKS endpoint that hangs).
    func setHeld(_ value: Bool) { held.withLock { $0 = value } }

    /// How many times the JWKS was fetched.
    var requestCount: Int { requests.withLock { $0 } }

    func setKeys(_ new: [[String: JSONValue]]) { keys.withLock { $0 = new } }

    /// Serves `GET /api/auth/jwks` while `body` runs with the JWKS URL; the port is closed afterwards.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/api/auth/jwks") { _, _ in
            self.requests.withLock { $0 += 1 }
            while self.held.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            let document = JSONValue.object(["keys": .array(self.keys.withLock { $0 }.map(JSONValue.object))])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: json(document))))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: quietLogger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await application.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result = try await body("http://127.0.0.1:\(port)/api/auth/jwks")
            group.cancelAll()
            return result
        }
    }
}

@Suite struct AuthTestSupportTests {
    @Test func signerProducesThreePartTokens() {
        let clock = TestClock()
        let token = TestSigner.hmac(Array("secret".utf8)).token(alg: "HS256", payload: clock.claims())
        #expect(token.split(separator: ".").count == 3)
    }
}
