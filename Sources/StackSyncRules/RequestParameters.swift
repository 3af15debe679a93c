/// What a sync request knows about its user: the authenticated user id, the verified JWT claims and the
/// (unauthenticated) client parameters.
public struct RequestParameters: Sendable, Hashable {
    /// The JWT `sub`, returned by `request.user_id()` and `token_parameters.user_id`.
    public var userID: String
    /// The verified JWT payload; `request.jwt()` returns it as JSON text.
    public var jwtClaims: JSONValue
    /// Client-chosen parameters; `request.parameters()` and `user_parameters.x` read them.
    public var clientParameters: JSONValue

    /// Creates request parameters from dictionaries (keys are sorted when rendered as JSON).
    public init(userID: String, jwtClaims: [String: JSONValue] = [:], clientParameters: [String: JSONValue] = [:]) {
        var claims = jwtClaims
        if claims["sub"] == nil { claims["sub"] = .string(userID) }
        self.userID = userID
        self.jwtClaims = .object(claims)
        self.clientParameters = .object(clientParameters)
    }

    /// Creates request parameters from already ordered JSON objects.
    public init(userID: String, jwtPayload: JSONValue, clientParameters: JSONValue) {
        self.userID = userID
        self.jwtClaims = jwtPayload
        self.clientParameters = clientParameters
    }

    /// `request.jwt()`: the payload as JSON text.
    var rawTokenPayload: String { jwtClaims.jsonText() }

    /// `request.parameters()`: the client parameters as JSON text.
    var rawClientParameters: String { clientParameters.jsonText() }

    /// `token_parameters.<name>`: the legacy `parameters` claim plus `user_id` (the subject wins).
    func tokenParameter(_ name: String) -> SQLiteValue {
        if name == "user_id" { return .text(userID) }
        return jwtClaims["parameters"]?[name]?.requestSQLiteValue ?? .null
    }

    /// `user_parameters.<name>`: one client parameter.
    func userParameter(_ name: String) -> SQLiteValue {
        clientParameters[name]?.requestSQLiteValue ?? .null
    }
}
