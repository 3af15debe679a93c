#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A request-level failure of `PUT /api/powersync/upload` (the client transaction-level ones are `UploadRejection`).
public struct UploadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable code, `STACK-U0xx`.
    public let stackCode: String
    /// HTTP status.
    public let status: Int
    /// Code in the response body.
    public let code: String
    /// What is wrong and what to do; never contains tokens or row values.
    public let message: String

    /// `STACK-U0xx: message`.
    public var description: String { "\(stackCode): \(message)" }

    /// `{"code": …, "message": …}`.
    public var responseBody: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(["code": code, "message": message])) ?? Data()
    }

    /// 400: the body is not `{"transactions": [{"op_id", "ops": [...]}]}`.
    public static func malformed(_ what: String) -> UploadError {
        UploadError(
            stackCode: "STACK-U001", status: 400, code: "MALFORMED_BODY",
            message: "The upload body is not in the documented shape: \(what). Send "
                + #"{"transactions":[{"op_id":"…","ops":[{"op":"PUT","table":"…","id":"…","data":{…}}]}]}."#)
    }

    /// 413: the body is larger than `api.max_body_bytes`.
    public static func tooLarge(limit: Int) -> UploadError {
        UploadError(
            stackCode: "STACK-U002", status: 413, code: "PAYLOAD_TOO_LARGE",
            message: "The upload body is larger than \(limit) bytes (api.max_body_bytes). Upload fewer transactions "
                + "per request.")
    }

    /// 503: the database failed in a way a retry can fix; nothing of the failed transaction was applied.
    public static func unavailable(_ reason: String) -> UploadError {
        UploadError(
            stackCode: "STACK-U003", status: 503, code: "DATABASE_UNAVAILABLE",
            message: "The database is unavailable (\(reason)). Nothing of the failing transaction was applied; retry.")
    }
}

/// Why one client transaction was not applied: reported in the 200 response, never retried by the client.
public struct UploadRejection: Error, Sendable, Equatable {
    /// Index of the failing op inside its transaction.
    public var opIndex: Int
    /// Stable reason code (`UNKNOWN_TABLE`, `INVALID_VALUE`, `NOT_OWNER`, …).
    public var code: String
    /// What is wrong, naming the table, column and the value's JSON type (never the value itself).
    public var message: String

    /// A rejection.
    public init(opIndex: Int, code: String, message: String) {
        self.opIndex = opIndex
        self.code = code
        self.message = message
    }
}
