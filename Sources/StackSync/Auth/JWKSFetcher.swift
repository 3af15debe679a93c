import AsyncHTTPClient
import Logging
import NIOCore
import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Downloads a remote JWKS (`sync.jwks_uri`) and keeps its usable signature keys (`RemoteJWKSCollector.ts`).
struct JWKSFetcher: Sendable {
    /// The JWKS endpoint.
    let uri: String
    let httpClient: HTTPClient
    let logger: Logger
    /// PowerSync's request timeout.
    static let timeout: TimeAmount = .seconds(30)
    /// Larger bodies are refused; a JWKS of many keys is still a few KiB.
    static let maximumBodySize = 1 << 20

    /// Checks that `uri` is an absolute http(s) URL.
    init(uri: String, httpClient: HTTPClient, logger: Logger) throws(SyncServiceError) {
        guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else {
            throw .authConfiguration("sync.jwks_uri \(Redaction.url(uri)) is not an http(s) URL")
        }
        self.uri = uri
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The RSA, EC and OKP keys of the JWKS that may verify signatures; `PSYNC_S2204` when the request fails.
    func fetch() async throws(SyncServiceError) -> [VerificationKey] {
        var request = HTTPClientRequest(url: uri)
        request.headers.add(name: "Accept", value: "application/json")
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: Self.timeout)
            guard (200..<300).contains(response.status.code) else {
                throw SyncServiceError.jwksRequestFailed("HTTP \(response.status.code)")
            }
            body = try await response.body.collect(upTo: Self.maximumBodySize)
        } catch let error as SyncServiceError {
            throw error
        } catch {
            // The transport error can name hosts and addresses: log it, tell the client less.
            logger.warning(
                "JWKS request failed",
                metadata: ["jwks.uri": "\(Redaction.url(uri))", "error.message": "\(String(describing: error))"])
            throw .jwksRequestFailed("the JWKS endpoint could not be reached or did not answer in time")
        }
        guard
            case .object(let document)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
            case .array(let entries)? = document["keys"]
        else {
            throw .jwksRequestFailed("the response is not a JSON object with a \"keys\" array")
        }
        return entries.enumerated().compactMap { index, entry in usableKey(entry, index: index) }
    }

    /// The key for one JWKS entry, or nil (logged) when it is not a signature key we can use.
    private func usableKey(_ entry: JSONValue, index: Int) -> VerificationKey? {
        guard case .object(let jwk) = entry else { return nil }
        let kid = jwk["kid"]?.stringValue ?? "-"
        // Only asymmetric keys come from a URL: a shared secret published over HTTP is no secret.
        guard let kty = jwk["kty"]?.stringValue, ["RSA", "EC", "OKP"].contains(kty) else {
            logger.debug("JWKS key skipped: key type not RSA, EC or OKP", metadata: ["jwks.key.kid": "\(kid)"])
            return nil
        }
        if let use = jwk["use"], use != .null, use != .string("sig") {
            logger.debug("JWKS key skipped: use is not sig", metadata: ["jwks.key.kid": "\(kid)"])
            return nil
        }
        if let operations = jwk["key_ops"], operations != .null {
            guard case .array(let list) = operations, list.contains(.string("verify")) else {
                logger.debug("JWKS key skipped: key_ops lacks verify", metadata: ["jwks.key.kid": "\(kid)"])
                return nil
            }
        }
        do throws(KeyProblem) {
            return try VerificationKey(jwk: jwk, allowSecrets: false)
        } catch {
            logger.warning(
                "JWKS key skipped: invalid",
                metadata: ["jwks.key.index": "\(index)", "jwks.key.kid": "\(kid)", "error.reason": "\(error.reason)"])
            return nil
        }
    }
}
