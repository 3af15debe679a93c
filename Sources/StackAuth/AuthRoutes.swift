import HTTPTypes
import Hummingbird
import Logging
import StackCore
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The auth server's HTTP routes under `/api/auth` and `GET /api/powersync/config`, for any request context that
/// knows the peer address (rate limits).
public struct AuthRoutes<Context: RemoteAddressRequestContext>: Sendable {
    /// The logic behind the routes.
    public let service: AuthService
    /// Largest accepted JSON body.
    static var maximumBodyBytes: Int { 64 * 1024 }

    /// Routes for `service`.
    public init(service: AuthService) {
        self.service = service
    }

    /// Adds every route to `router`.
    public func register(on router: Router<Context>) {
        let auth = router.group("/api/auth")
        auth.post("/sign-up/email") { request, context in
            await handle(request, context, path: "/sign-up/email") { call in try await signUp(call) }
        }
        auth.post("/sign-in/email") { request, context in
            await handle(request, context, path: "/sign-in/email") { call in try await signIn(call) }
        }
        auth.post("/sign-out") { request, context in
            await handle(request, context, path: "/sign-out") { call in try await signOut(call) }
        }
        auth.get("/get-session") { request, context in
            await handle(request, context, path: "/get-session") { call in try await getSession(call) }
        }
        auth.get("/token") { request, context in
            await handle(request, context, path: "/token") { call in try await token(call) }
        }
        auth.get("/jwks") { request, context in
            // Not guarded here: the key ring answers from memory while the database is unreachable.
            await handle(request, context, path: "/jwks", guarded: false) { _ in
                AuthResponse().raw(try await service.jwksDocument())
            }
        }
        auth.get("/ok") { request, context in
            await handle(request, context, path: "/ok") { _ in AuthResponse().json(["ok": true]) }
        }
        router.get("/api/powersync/config") { request, context in
            await handle(request, context, path: "/api/powersync/config") { call in try await powerSyncConfig(call) }
        }
    }

    /// One request as the handlers see it.
    struct Call: Sendable {
        let request: Request
        let cookieHeader: String?
        let authorization: String?
        let client: AuthService.Client

        /// The session token from the bearer header or the cookie (bearer wins, as in the bearer plugin).
        func sessionToken(_ cookie: SessionCookie) -> String? {
            cookie.sessionToken(cookieHeader: cookieHeader, authorization: authorization)
        }

        /// The JSON body, at most `maximumBodyBytes`.
        func body(alsoRecord: Bool = false) async throws -> AuthRequestBody {
            let limit = AuthRoutes.maximumBodyBytes
            if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
                throw AuthError.bodyTooLarge(limit: limit)
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch {
                throw AuthError.bodyTooLarge(limit: limit)
            }
            return try AuthRequestBody(Array(buffer.readableBytesView), alsoRecord: alsoRecord)
        }
    }

    /// Rate limit, origin check, then the handler; errors become BetterAuth's `{code, message}` responses. A
    /// `guarded` handler answers 503 as soon as the database is found unreachable instead of waiting for the pool.
    func handle(
        _ request: Request, _ context: Context, path: String, guarded: Bool = true,
        _ body: @escaping @Sendable (Call) async throws -> Response
    ) async -> Response {
        let cookieValues = request.headers[values: .cookie]
        let call = Call(
            request: request, cookieHeader: cookieValues.isEmpty ? nil : cookieValues.joined(separator: "; "),
            authorization: request.headers[.authorization],
            client: AuthService.Client(
                ipAddress: context.remoteAddress?.ipAddress, userAgent: request.headers[.userAgent]))
        if service.configuration.rateLimit, service.limiter.rule(forPath: path) != .standard {
            if case .limited(let retryAfter) = await service.limiter.consume(
                clientIP: call.client.ipAddress, path: path)
            {
                return AuthResponse.error(.tooManyRequests(retryAfter: retryAfter), retryAfter: retryAfter)
            }
        }
        do {
            try checkOrigin(request, call)
            guard guarded else { return try await body(call) }
            return try await service.availability.guarding { try await body(call) }
        } catch let error where DatabaseAvailability.isUnreachable(error) {
            service.logger.warning("auth request refused: database unreachable", metadata: ["auth.path": "\(path)"])
            return AuthResponse.error(.databaseUnavailable)
        } catch let error as AuthError {
            if !error.isClientError {
                service.logger.error("auth request failed", metadata: ["auth.path": "\(path)", "error": "\(error)"])
            }
            return AuthResponse.error(error)
        } catch {
            let wrapped = AuthError.databaseFailure(PostgresErrorText.describe(error))
            service.logger.error("auth request failed", metadata: ["auth.path": "\(path)", "error": "\(wrapped)"])
            return AuthResponse.error(wrapped)
        }
    }

    /// BetterAuth's origin check: a state-changing request that carries cookies must come from a trusted origin.
    func checkOrigin(_ request: Request, _ call: Call) throws(AuthError) {
        guard request.method != .get, request.method != .head, request.method != .options, call.cookieHeader != nil
        else { return }
        let origin = request.headers[.origin] ?? request.headers[.referer] ?? ""
        guard !origin.isEmpty, origin != "null" else { throw .missingOrigin }
        guard service.configuration.isTrusted(originHeader: origin) else { throw .invalidOrigin }
    }
}
