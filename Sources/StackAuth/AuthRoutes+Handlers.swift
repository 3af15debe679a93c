import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension AuthRoutes {
    /// `{token, user}` after sign-up.
    struct SignUpResponse: Encodable {
        let token: String
        let user: AuthUser
    }

    /// `{redirect, token, url, user}` after sign-in: `redirect` says whether a `callbackURL` was given, `url` is it.
    struct SignInResponse: Encodable {
        let redirect: Bool
        let token: String
        let url: String?
        let user: AuthUser
    }

    /// `{session, user}` of get-session.
    struct SessionResponse: Encodable {
        let session: AuthSession
        let user: AuthUser
    }

    // Sign-up's body schema (BetterAuth packages/better-auth/src/api/routes/sign-up.ts, `signUpEmailBodySchema`):
    // name z.string(), email z.email(), password z.string().nonempty(), image/callbackURL optional strings,
    // rememberMe optional boolean, `.and(z.record(…))`. Since BetterAuth 1.4.8 (#6744) a bad email or an empty
    // password therefore fails the schema: 400 VALIDATION_ERROR "[body.email] Invalid email address", not the
    // handler's INVALID_EMAIL / INVALID_PASSWORD, which the schema makes unreachable over HTTP.
    func signUp(_ call: Call) async throws -> Response {
        var body = try await call.body(alsoRecord: true)
        let name = body.string("name")
        let email = body.email("email")
        let password = body.nonEmptyString("password")
        let image = body.optionalString("image")
        let callbackURL = body.optionalString("callbackURL")
        let rememberMe = body.optionalBool("rememberMe") ?? true
        // validate() throws when any required field was missing, so the unwraps below cannot fail.
        try body.validate()
        try checkCallbackURL(callbackURL)
        let (session, user) = try await service.signUp(
            name: name!, email: email!, password: password!, image: image, rememberMe: rememberMe,
            client: call.client)
        var response = AuthResponse()
        setSessionCookies(&response, session: session, rememberMe: rememberMe)
        return response.json(SignUpResponse(token: session.token, user: user))
    }

    // Sign-in's schema (sign-in.ts `signInEmail`) takes email as a plain z.string(); the handler then answers a bad
    // address with 400 INVALID_EMAIL "Invalid email" (`z.email().safeParse(email)`), which `service.signIn` does.
    func signIn(_ call: Call) async throws -> Response {
        var body = try await call.body()
        let email = body.string("email")
        let password = body.string("password")
        let callbackURL = body.optionalString("callbackURL")
        let rememberMe = body.optionalBool("rememberMe") ?? true
        try body.validate()  // as in signUp: the unwraps cannot fail after it
        try checkCallbackURL(callbackURL)
        let (session, user) = try await service.signIn(
            email: email!, password: password!, rememberMe: rememberMe, client: call.client)
        var response = AuthResponse()
        setSessionCookies(&response, session: session, rememberMe: rememberMe)
        return response.json(
            SignInResponse(redirect: callbackURL != nil, token: session.token, url: callbackURL, user: user))
    }

    // BetterAuth's origin check runs before the handler: an untrusted callbackURL is refused before any password
    // is checked.
    private func checkCallbackURL(_ url: String?) throws(AuthError) {
        if let url, !service.configuration.isTrusted(callbackURL: url) { throw .invalidCallbackURL }
    }

    func signOut(_ call: Call) async throws -> Response {
        try await service.signOut(token: call.sessionToken(service.cookie))
        var response = AuthResponse()
        deleteSessionCookies(&response)
        return response.json(["success": true])
    }

    func getSession(_ call: Call) async throws -> Response {
        var response = AuthResponse()
        response.headers[.cacheControl] = "no-store"
        response.headers[HTTPField.Name("pragma")!] = "no-cache"
        let token = call.sessionToken(service.cookie)
        // A `rememberMe: false` session is never extended (BetterAuth's dont_remember cookie).
        let remembered = !isDontRemember(call.cookieHeader)
        let disableRefresh = call.request.uri.queryParameters.get("disableRefresh").map { $0 != "false" } ?? false
        guard let state = try await service.currentSession(token: token, allowRefresh: remembered && !disableRefresh)
        else {
            if token != nil { deleteSessionCookies(&response) }
            return response.raw(Data("null".utf8))
        }
        if state.refreshed { setSessionCookies(&response, session: state.session, rememberMe: true) }
        response.expose(AuthResponse.setAuthJWT, try await service.issueToken(for: state.user))
        return response.json(SessionResponse(session: state.session, user: state.user))
    }

    func token(_ call: Call) async throws -> Response {
        guard let found = try await service.validSession(token: call.sessionToken(service.cookie)) else {
            throw AuthError.unauthorized
        }
        return AuthResponse().json(["token": try await service.issueToken(for: found.user)])
    }

    /// `GET /api/powersync/config`: where the device syncs, and as whom.
    func powerSyncConfig(_ call: Call) async throws -> Response {
        let user = try await service.authenticate(authorization: call.authorization, cookie: call.cookieHeader)
        return AuthResponse().json(["powersyncUrl": service.configuration.syncURL, "userId": user.id])
    }

    private func setSessionCookies(_ response: inout AuthResponse, session: AuthSession, rememberMe: Bool) {
        response.setCookie(service.cookie.setCookieHeader(for: session.token, rememberMe: rememberMe))
        if !rememberMe {
            response.setCookie(
                "\(dontRememberName)=\(URIComponent.encode(service.cookie.signedValue(for: "true")))"
                    + "; Path=/; HttpOnly" + (service.cookie.isSecure ? "; Secure" : "") + "; SameSite=Lax")
        }
        response.expose(AuthResponse.setAuthToken, service.cookie.signedValue(for: session.token))
    }

    private func deleteSessionCookies(_ response: inout AuthResponse) {
        response.setCookie(service.cookie.expiredSetCookieHeader)
        response.setCookie(
            "\(dontRememberName)=; Max-Age=0; Path=/; HttpOnly" + (service.cookie.isSecure ? "; Secure" : "")
                + "; SameSite=Lax")
    }

    private var dontRememberName: String {
        (service.cookie.isSecure ? "__Secure-" : "") + "better-auth.dont_remember"
    }

    private func isDontRemember(_ cookieHeader: String?) -> Bool {
        guard let cookieHeader, let value = SessionCookie.cookies(in: cookieHeader)[dontRememberName] else {
            return false
        }
        return service.cookie.verify(signedValue: value) == "true"
    }
}
