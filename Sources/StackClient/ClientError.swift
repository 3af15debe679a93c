import StackCore

/// Errors of the device client (`STACK-Knnn`). Messages never contain tokens or passwords.
public enum ClientError: CodedError, Equatable {
    /// The server could not be reached or the connection broke.
    case network(url: String, detail: String)
    /// The server answered 401; `reason` is the sync service's error (code and description) when it sent one.
    case unauthorized(url: String, reason: String? = nil)
    /// The server answered with another unexpected status.
    case http(url: String, status: Int, code: String?, detail: String?)
    /// The response body was not the documented shape.
    case malformedResponse(url: String, detail: String)
    /// An operation needs a signed-in user.
    case notSignedIn
    /// The device is offline by choice.
    case offline
    /// Another user's sign-in would wipe changes of the previous user that were never uploaded.
    case pendingUploads(transactions: Int, email: String?)

    /// The stable code.
    public var code: String {
        switch self {
        case .network: "STACK-K001"
        case .unauthorized: "STACK-K002"
        case .http: "STACK-K003"
        case .malformedResponse: "STACK-K004"
        case .notSignedIn: "STACK-K005"
        case .offline: "STACK-K006"
        case .pendingUploads: "STACK-K007"
        }
    }

    /// What is wrong, what was seen, what to do.
    public var message: String {
        switch self {
        case .network(let url, let detail):
            "Could not reach \(url) (\(detail)). Is `stack up` running and is the URL in the config right?"
        case .unauthorized(let url, let reason?) where !reason.hasPrefix("PSYNC_S21"):
            // Not about the token itself (PSYNC_S21xx) but about verifying it, e.g. PSYNC_S2204 (the JWKS could not
            // be fetched): signing in again cannot help.
            "\(url) could not verify the token (401 \(reason)). `stack doctor` checks the JWKS URL and the audience."
        case .unauthorized(let url, let reason):
            "\(url) refused the credentials (401\(reason.map { " " + $0 } ?? "")). Sign in again with "
                + "`stack client sign-in`."
        case .http(let url, let status, let code, let detail):
            "\(url) answered \(status)" + (code.map { " \($0)" } ?? "") + (detail.map { ": \($0)" } ?? ".")
        case .malformedResponse(let url, let detail):
            "\(url) sent a response this client cannot read (\(detail))."
        case .notSignedIn:
            "This device has no signed-in user. Run `stack client sign-in --email E --password P` first."
        case .offline:
            "This device is offline. Run `stack client online` to sync again."
        case .pendingUploads(let transactions, let email):
            "This device holds \(transactions) transaction(s) of \(email ?? "the previous user") that were never "
                + "uploaded; signing in as another user would delete them. Upload them first (sign in as "
                + "\(email ?? "that user") again and run `stack client sync`), or pass --discard-pending to drop them."
        }
    }
}
