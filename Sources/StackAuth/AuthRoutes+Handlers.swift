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

    /// `{redirect: false, token, user}` after sign-in.
    struct SignInResponse: Encodable {
        let redirect: Bool
        let token: String
        let user: AuthUser
    }

    /// `{session, user}` of get-session.
    struct SessionResponse: Encodable {
        let session: AuthSession
        let user: AuthUser
    }

    func signUp(_ call: Call) async throws -> Response {
        let body = try await call.body()
        let name = try body.string("name")
        let email = try body.string("email")
        let password = try body.string("password")
        let image = try body.optionalString("image")
        _ = try body.optionalString("callbackURL")
        let rememberMe = try body.optionalBool("rememberMe") ?? true
        let (session, user) = try await service.signUp(
            name: name, email: email, password: password, image: image, rememberMe: rememberMe, client: call.client)
        var response = AuthResponse()
        setSessionCookies(&response, session: session, rememberMe: rememberMe)
        return response.json(SignUpResponse(token: session.token, user: user))
    }

    func signIn(_ call: Call) async throws -> Response {
        let body = try await call.body()
        let email = try body.string("email")
        let password = try body.string("password")
        _ = try body.optionalString("callbackURL")
        let rememberMe = try body.optionalBool("rememberMe") ?? true
        let (session, user) = try await service.signIn(
            email: email, password: password, rememberMe: rememberMe, client: call.client)
        var response = AuthResponse()
        setSessionCookies(&response, session: session, rememberMe: rememberMe)
        return response.json(SignInResponse(redirect: false, token: session.token, user: user))
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
