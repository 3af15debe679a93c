/// What `fetchCredentials` returns: where the sync service is and the JWT to present to it.
public struct SyncCredentials: Sendable, Equatable {
    /// Base URL of the sync service (no trailing slash).
    public var endpoint: String
    /// The RS256 JWT (never logged).
    public var token: String
    /// The user id the API reported.
    public var userID: String

    /// Creates credentials.
    public init(endpoint: String, token: String, userID: String) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.token = token
        self.userID = userID
    }
}

/// How one upload attempt of one transaction ended, per the connector rules.
public enum UploadOutcome: Sendable, Equatable {
    /// 2xx: the server processed it; complete it and record any rejections.
    case processed(rejected: [UploadRejectionRecord])
    /// Another 4xx: the server refused it permanently; complete it and record why.
    case refused(status: Int, message: String)
    /// 401: refresh credentials and retry.
    case unauthorized
    /// Network failure or 5xx: keep it and retry with backoff.
    case retry(detail: String)
}

/// A rejection as recorded on the device.
public struct UploadRejectionRecord: Sendable, Equatable {
    /// The transaction's op_id.
    public var opID: String
    /// Index of the failing op, if known.
    public var opIndex: Int?
    /// HTTP status of the response.
    public var status: Int
    /// Stable error code.
    public var code: String
    /// What is wrong.
    public var message: String

    /// Creates a record.
    public init(opID: String, opIndex: Int?, status: Int, code: String, message: String) {
        self.opID = opID
        self.opIndex = opIndex
        self.status = status
        self.code = code
        self.message = message
    }
}
