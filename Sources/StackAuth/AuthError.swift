#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An auth failure: a stable `STACK-A0xx` code for logs plus the BetterAuth `{code, message}` the client sees.
public struct AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable stack code, `STACK-A001` … `STACK-A099`.
    public let stackCode: String
    /// HTTP status the route answers with.
    public let status: Int
    /// BetterAuth error code in the response body (`INVALID_EMAIL_OR_PASSWORD`, …).
    public let code: String
    /// BetterAuth message in the response body.
    public let message: String
    /// Server-side explanation (what is wrong, what was seen, what to do); never contains secrets.
    public let detail: String

    /// Creates an error; prefer the static factories.
    public init(stackCode: String, status: Int, code: String, message: String, detail: String) {
        self.stackCode = stackCode
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// `STACK-A0xx: detail`, for logs.
    public var description: String { "\(stackCode): \(detail)" }

    /// The JSON body BetterAuth answers with: `{"code": "...", "message": "..."}`.
    public var responseBody: Data {
        let body = ["code": code, "message": message]
        // Encoding a [String: String] cannot fail.
        return (try? JSONEncoder.sortedKeys.encode(body)) ?? Data()
    }

    /// `{"code", "message"}` with the reason in the message (`Invalid token: JWT rejected: expired at …`), for the
    /// APIs that are stack's own rather than BetterAuth's, whose messages clients match verbatim.
    public var explainedResponseBody: Data {
        let body = ["code": code, "message": "\(message): \(detail)"]
        return (try? JSONEncoder.sortedKeys.encode(body)) ?? Data()
    }

    /// Whether the client caused it (4xx) rather than the server (5xx).
    public var isClientError: Bool { status < 500 }
}

extension JSONEncoder {
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
