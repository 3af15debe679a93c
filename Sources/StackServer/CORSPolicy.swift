/// Which browser origins may call which routes, and what a preflight is answered with (pure: no I/O).
///
/// Routes that read the session cookie (`/api/auth/*`, `/api/powersync/config`) answer trusted origins only, with
/// credentials; every other route (sync, upload, health) authenticates with a bearer token and answers any origin,
/// as the PowerSync Service does: a page of another origin cannot make the browser attach a token it does not have.
struct CORSPolicy: Sendable {
    /// What a response to a cross-origin request carries.
    enum Grant: Equatable {
        /// No CORS headers but `Vary: Origin`: the browser refuses the response to the page.
        case denied
        /// `Access-Control-Allow-Origin: origin`, with `Access-Control-Allow-Credentials: true` if `credentials`.
        case allowed(origin: String, credentials: Bool)
    }

    /// Whether an `Origin` header value may use the cookie routes (the auth base URL's origin or a trusted one).
    let isTrustedForCookies: @Sendable (String) -> Bool

    /// How long a browser may cache a preflight answer (Chromium caps it at 2 hours).
    static let maxAgeSeconds = 7200
    /// Every method a route of stack answers.
    static let allowedMethods = "GET, HEAD, POST, PUT, OPTIONS"
    /// Headers always allowed: the bearer token and the JSON body.
    static let baseHeaders = ["authorization", "content-type"]
    /// At most this many requested headers are echoed, each at most `maximumHeaderNameLength` long.
    static let maximumRequestedHeaders = 32
    static let maximumHeaderNameLength = 64

    /// Whether `path` is a cookie route (BetterAuth's session cookie is read there).
    static func usesCookies(_ path: String) -> Bool {
        path == "/api/auth" || path.hasPrefix("/api/auth/") || path == "/api/powersync/config"
    }

    /// The grant for a request from `origin` to `path`.
    func grant(path: String, origin: String) -> Grant {
        // "null" is what sandboxed frames and file:// pages send: never trusted, and not echoed back.
        guard !origin.isEmpty, origin != "null" else { return .denied }
        guard Self.usesCookies(path) else { return .allowed(origin: origin, credentials: false) }
        return isTrustedForCookies(origin) ? .allowed(origin: origin, credentials: true) : .denied
    }

    /// `Access-Control-Allow-Headers`: the base headers plus every requested header name that is a valid HTTP
    /// token of sane length (the PowerSync web SDK asks for `x-user-agent`, for one), lower-cased, without duplicates.
    static func allowedHeaders(requested: String?) -> String {
        var names = baseHeaders
        let candidates = (requested ?? "").split(separator: ",").prefix(maximumRequestedHeaders)
        for candidate in candidates {
            let name = candidate.trimmingASCIISpaces().lowercased()
            guard isToken(name), name.count <= maximumHeaderNameLength, !names.contains(name) else { continue }
            names.append(name)
        }
        return names.joined(separator: ", ")
    }

    /// RFC 9110 `token`: one or more of the visible ASCII characters that are not delimiters.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
