import Testing

@testable import StackClient

@Suite struct ClientErrorTests {
    /// A 401 about verifying the token (the sync service could not fetch the JWKS) is not fixed by signing in
    /// again, which is what the message used to say for every 401.
    @Test func a401ThatIsNotAboutTheTokenPointsAtTheServerSetup() {
        let jwks = ClientError.unauthorized(
            url: "http://s/sync/stream", reason: "PSYNC_S2204: JWKS request failed (http://wrong/jwks)")
        #expect(jwks.message.contains("could not verify the token (401 PSYNC_S2204: JWKS request failed"))
        #expect(jwks.message.contains("stack doctor") && !jwks.message.contains("Sign in again"))
        let expired = ClientError.unauthorized(url: "http://s/sync/stream", reason: "PSYNC_S2103: JWT has expired")
        #expect(expired.message.contains("refused the credentials (401 PSYNC_S2103: JWT has expired)"))
        #expect(expired.message.contains("Sign in again"))
        #expect(ClientError.unauthorized(url: "http://a/x").message.contains("refused the credentials (401). Sign in"))
    }
}
