import StackCore
import StackProtocol

/// An error the sync service reports to a client before a stream starts, in PowerSync's shape:
/// `{"error": {"code": "PSYNC_Sxxxx", "status": …, "description": …}}` (PROTOCOL §1.1, §4.4).
///
/// Descriptions never contain a token or a key.
public struct SyncServiceError: Error, Sendable, Equatable, CodedError {
    /// PowerSync's stable code, e.g. `PSYNC_S2103`.
    public var code: String
    /// HTTP status.
    public var status: Int
    /// What went wrong, for the client developer.
    public var description: String

    /// Creates an error.
    public init(code: String, status: Int, description: String) {
        self.code = code
        self.status = status
        self.description = description
    }

    /// `CodedError` message.
    public var message: String { description }

    /// The JSON body.
    public var body: ServiceErrorBody {
        ServiceErrorBody(
            error: ServiceErrorDetail(name: "PowerSyncError", code: code, status: status, description: description))
    }

    // MARK: Auth (401)

    /// `PSYNC_S2101`: malformed token, unknown key or algorithm, missing claim.
    public static func authGeneric(_ description: String) -> Self {
        Self(code: "PSYNC_S2101", status: 401, description: description)
    }

    /// `PSYNC_S2102`: the signature does not verify.
    public static let badSignature = Self(
        code: "PSYNC_S2102", status: 401, description: "JWT signature could not be verified")

    /// `PSYNC_S2103`: expired.
    public static let expired = Self(code: "PSYNC_S2103", status: 401, description: "JWT has expired")

    /// `PSYNC_S2104`: `exp − iat` too long.
    public static func lifetimeTooLong(maximum: Int, got: Int) -> Self {
        Self(
            code: "PSYNC_S2104", status: 401,
            description: "Token must expire in a maximum of \(maximum) seconds, got \(got)s")
    }

    /// `PSYNC_S2105`: `aud` missing or not accepted.
    public static func audience(_ description: String) -> Self {
        Self(code: "PSYNC_S2105", status: 401, description: description)
    }

    /// `PSYNC_S2106`: no `Authorization: Token|Bearer <jwt>` header.
    public static let noToken = Self(code: "PSYNC_S2106", status: 401, description: "Authentication required")

    /// `PSYNC_S2201`: the auth configuration (`sync.jwks.keys`, `sync.jwks_uri`) is invalid; reported at startup.
    public static func authConfiguration(_ description: String) -> Self {
        Self(code: "PSYNC_S2201", status: 500, description: description)
    }

    /// `PSYNC_S2204`: the JWKS could not be fetched and no known key matched the token.
    public static func jwksRequestFailed(_ reason: String) -> Self {
        Self(code: "PSYNC_S2204", status: 401, description: "JWKS request failed: \(reason)")
    }

    // MARK: Service

    /// `PSYNC_S2001`: internal error (details go to the log, not the client).
    public static let internalError = Self(
        code: "PSYNC_S2001", status: 500, description: "Internal error; see the stack log for details")

    /// `PSYNC_S2003`: not ready yet (no checkpoint) or shutting down.
    public static func unavailable(_ description: String) -> Self {
        Self(code: "PSYNC_S2003", status: 503, description: description)
    }

    /// `PSYNC_S2302`: no sync rules configured.
    public static let noSyncRules = Self(
        code: "PSYNC_S2302", status: 500,
        description: "No sync rules are active: add `sync_rules` to the stack config and restart `stack up`")

    /// `PSYNC_S2304`: too many concurrent streams.
    public static func tooManyConnections(limit: Int) -> Self {
        Self(
            code: "PSYNC_S2304", status: 429, description: "Maximum number of concurrent connections (\(limit)) reached"
        )
    }

    /// `PSYNC_S2305`: a user resolves to too many buckets.
    public static func tooManyBuckets(limit: Int, got: Int) -> Self {
        Self(
            code: "PSYNC_S2305", status: 400,
            description: "Too many buckets: \(got) (limit \(limit)); narrow the parameter queries of the sync rules")
    }

    /// A request body that is not a valid `StreamingSyncRequest` (400).
    public static func badRequest(_ description: String) -> Self {
        Self(code: "PSYNC_S2001", status: 400, description: description)
    }
}
