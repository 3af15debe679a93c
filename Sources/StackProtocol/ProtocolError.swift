import StackCore

/// Errors reading the wire protocol (`STACK-Wnnn`).
public enum ProtocolError: CodedError, Equatable {
    /// A line exceeded the reader's limit.
    case lineTooLong(limit: Int)
    /// A line is not a valid sync line.
    case malformedLine(detail: String, prefix: String)
    /// A JSON body is not the documented shape.
    case malformedBody(type: String, detail: String)

    /// The stable code.
    public var code: String {
        switch self {
        case .lineTooLong: "STACK-W001"
        case .malformedLine: "STACK-W002"
        case .malformedBody: "STACK-W003"
        }
    }

    /// What is wrong, what was seen, what to do.
    public var message: String {
        switch self {
        case .lineTooLong(let limit):
            "A sync stream line is longer than \(limit) bytes without a newline. The server is not sending NDJSON;"
                + " check that the sync URL points at a PowerSync-compatible service."
        case .malformedLine(let detail, let prefix):
            "A sync stream line could not be decoded (\(detail)); the line starts with '\(prefix)'."
                + " The server does not speak the PowerSync protocol version this client expects."
        case .malformedBody(let type, let detail):
            "The response is not a valid \(type) (\(detail))."
        }
    }
}
