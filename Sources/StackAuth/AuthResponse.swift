import HTTPTypes
import Hummingbird
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Building BetterAuth-shaped JSON responses with their cookies and exposed headers.
struct AuthResponse {
    static let setAuthToken = HTTPField.Name("set-auth-token")!
    static let setAuthJWT = HTTPField.Name("set-auth-jwt")!
    static let exposeHeaders = HTTPField.Name("Access-Control-Expose-Headers")!
    static let retryAfter = HTTPField.Name("X-Retry-After")!

    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [.contentType: "application/json"]
    private var exposed: [String] = []

    /// Adds a `Set-Cookie`.
    mutating func setCookie(_ value: String) {
        headers.append(HTTPField(name: .setCookie, value: value))
    }

    /// Adds a header the browser client must be able to read (bearer and jwt plugins).
    mutating func expose(_ name: HTTPField.Name, _ value: String) {
        headers[name] = value
        exposed.append(name.canonicalName)
        headers[Self.exposeHeaders] = exposed.joined(separator: ", ")
    }

    /// The response with `body` as its JSON.
    func json(_ body: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("null".utf8)
        return raw(data)
    }

    /// The response with `data` as its body.
    func raw(_ data: Data) -> Response {
        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// BetterAuth's error response: `{code, message}` with the error's status; a 503 says when to retry.
    static func error(_ error: AuthError, retryAfter: Int? = nil) -> Response {
        var response = AuthResponse(status: HTTPResponse.Status(code: error.status))
        if let retryAfter { response.headers[Self.retryAfter] = String(retryAfter) }
        if error.status == 503 { response.headers[.retryAfter] = String(DatabaseAvailability.retryAfterSeconds) }
        return response.raw(error.responseBody)
    }
}
