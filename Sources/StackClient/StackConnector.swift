import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StackCore
import StackProtocol

/// The backend connector as the apps write it: BetterAuth sign-in, `fetchCredentials`, `uploadData`,
/// write checkpoints and the sync stream, over HTTP.
public struct StackConnector: Sendable {
    /// Base URL of the app backend (auth + upload API), no trailing slash.
    public let apiBaseURL: String
    /// The HTTP client (shared by default).
    public let http: HTTPClient
    /// Deadline for ordinary requests.
    public var requestTimeout: TimeAmount = .seconds(30)
    // Bodies larger than this are refused (responses of these endpoints are small).
    private let maxBodyBytes = 16 << 20

    /// The client devices use by default: like `HTTPClient.shared`, except that a refused connection is an answer
    /// at once. AsyncHTTPClient otherwise retries connecting until the request's deadline, so every command against
    /// a stopped stack sat silent for 30 s before saying so; the upload queue and the sync loop retry themselves.
    public static let deviceHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Creates a connector.
    public init(apiBaseURL: String, http: HTTPClient = StackConnector.deviceHTTPClient) {
        var base = apiBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBaseURL = base
        self.http = http
    }

    /// `POST /api/auth/sign-up/email`.
    public func signUp(_ body: SignUpRequest) async throws -> AuthSessionResponse {
        try await authenticate(path: "/api/auth/sign-up/email", body: body)
    }

    /// `POST /api/auth/sign-in/email`.
    public func signIn(_ body: SignInRequest) async throws -> AuthSessionResponse {
        try await authenticate(path: "/api/auth/sign-in/email", body: body)
    }

    /// `POST /api/auth/sign-out` (best effort: the local session is forgotten regardless).
    public func signOut(sessionToken: String) async throws {
        _ = try await send(.POST, apiBaseURL + "/api/auth/sign-out", bearer: sessionToken, json: Data("{}".utf8))
    }

    /// `fetchCredentials`: GET `/api/powersync/config` and GET `/api/auth/token` with the session bearer token.
    public func fetchCredentials(sessionToken: String) async throws -> SyncCredentials {
        let configURL = apiBaseURL + "/api/powersync/config"
        let config: PowerSyncConfigResponse = try await getJSON(configURL, bearer: sessionToken)
        let tokenURL = apiBaseURL + "/api/auth/token"
        let token: TokenResponse = try await getJSON(tokenURL, bearer: sessionToken)
        return SyncCredentials(endpoint: config.powersyncUrl, token: token.token, userID: config.userId)
    }

    /// `uploadData` for one transaction: `PUT /api/powersync/upload`, mapped to the connector's outcome rules.
    public func upload(_ transaction: CrudTransaction, clientID: String, credentials: SyncCredentials) async
        -> UploadOutcome
    {
        let body = UploadRequest(
            transactions: [UploadTransaction(opID: transaction.uploadOpID, ops: transaction.entries.map(\.operation))],
            clientID: clientID)
        let url = apiBaseURL + "/api/powersync/upload"
        let response: (status: Int, body: Data)
        do {
            response = try await send(.PUT, url, bearer: credentials.token, json: try JSONEncoder().encode(body))
        } catch {
            // Network failure: keep the transaction and retry later (the apps' rule).
            return .retry(detail: Self.describe(error))
        }
        switch response.status {
        case 200..<300:
            // Processed: complete even when the body cannot be read, so a bad transaction cannot block the queue.
            let decoded = try? JSONDecoder().decode(UploadResponse.self, from: response.body)
            return .processed(
                rejected: (decoded?.rejected ?? []).map {
                    UploadRejectionRecord(
                        opID: $0.opID, opIndex: $0.opIndex, status: response.status, code: $0.code, message: $0.message)
                })
        case 401:
            return .unauthorized
        case 404, 405, 408, 429:
            // No such endpoint (wrong URL, server without the upload API), timeout or rate limit: the server did
            // not process the transaction, so completing it would drop the user's write. Keep it and retry.
            return .retry(detail: "HTTP \(response.status)")
        case 400..<500:
            return .refused(status: response.status, message: Self.errorText(response.body))
        default:
            return .retry(detail: "HTTP \(response.status)")
        }
    }

    /// `GET <sync>/write-checkpoint2.json?client_id=…` → the new write checkpoint.
    public func requestWriteCheckpoint(clientID: String, credentials: SyncCredentials) async throws -> OpID {
        let encoded = clientID.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? clientID
        let url = credentials.endpoint + "/write-checkpoint2.json?client_id=" + encoded
        let response: WriteCheckpointResponse = try await getJSON(url, token: credentials.token)
        return response.data.writeCheckpoint
    }

    /// `POST <sync>/sync/stream`: opens the NDJSON stream; iterate the result for lines.
    public func openStream(_ request: StreamingSyncRequest, credentials: SyncCredentials) async throws
        -> SyncLineSequence
    {
        let url = credentials.endpoint + "/sync/stream"
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Token " + credentials.token)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/x-ndjson")
        let body: ReadAheadBody
        let head: HTTPResponseHead
        do {
            let request = try HTTPClient.Request(
                url: url, method: .POST, headers: headers, body: .bytes(request.jsonBytes()))
            body = ReadAheadBody(client: http, request: request)
            head = try await body.head()
        } catch {
            throw ClientError.network(url: url, detail: Self.describe(error))
        }
        guard head.status.code == 200 else {
            let text = (try? await body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            let error = try? JSONDecoder().decode(ServiceErrorBody.self, from: text)
            if head.status.code == 401 {
                throw ClientError.unauthorized(
                    url: url, reason: error.map { "\($0.error.code): \($0.error.description)" })
            }
            throw ClientError.http(
                url: url, status: Int(head.status.code), code: error?.error.code,
                detail: error?.error.description)
        }
        return SyncLineSequence(body: body, url: url)
    }

    private func authenticate<Body: Encodable>(path: String, body: Body) async throws -> AuthSessionResponse {
        let url = apiBaseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Origin", value: apiBaseURL)
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        let (status, data, headers) = try await perform(request, url: url)
        guard (200..<300).contains(status) else {
            let error = try? JSONDecoder().decode(AuthErrorBody.self, from: data)
            if status == 401, error == nil { throw ClientError.unauthorized(url: url) }
            throw ClientError.http(url: url, status: status, code: error?.code, detail: error?.message)
        }
        do {
            var session = try JSONDecoder().decode(AuthSessionResponse.self, from: data)
            // The bearer plugin also sends the token as a header; prefer the body, fall back to the header.
            if session.token == nil { session.token = headers.first(name: "set-auth-token") }
            return session
        } catch {
            throw ClientError.malformedResponse(url: url, detail: String(describing: error))
        }
    }

    private func getJSON<T: Decodable>(_ url: String, bearer: String? = nil, token: String? = nil) async throws -> T {
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        if let token { request.headers.add(name: "Authorization", value: "Token " + token) }
        let (status, data, _) = try await perform(request, url: url)
        if status == 401 { throw ClientError.unauthorized(url: url) }
        guard (200..<300).contains(status) else {
            throw ClientError.http(url: url, status: status, code: nil, detail: Self.errorText(data))
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ClientError.malformedResponse(url: url, detail: String(describing: error))
        }
    }

    private func send(_ method: HTTPMethod, _ url: String, bearer: String, json: Data) async throws
        -> (status: Int, body: Data)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + bearer)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: json))
        let (status, data, _) = try await perform(request, url: url)
        return (status, data)
    }

    private func perform(_ request: HTTPClientRequest, url: String) async throws -> (Int, Data, HTTPHeaders) {
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            return (Int(response.status.code), Data(body.readableBytesView), response.headers)
        } catch {
            throw ClientError.network(url: url, detail: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let coded = error as? any CodedError { return coded.description }
        // NIO's own text is "connection reset (error set): Connection refused (errno: 111)".
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        return String(describing: error)
    }

    /// The most useful text of an error body: `message`, `description`, or the start of the text.
    static func errorText(_ body: Data) -> String {
        if let auth = try? JSONDecoder().decode(AuthErrorBody.self, from: body), let message = auth.message {
            return message
        }
        if let service = try? JSONDecoder().decode(ServiceErrorBody.self, from: body) {
            return service.error.description
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}
