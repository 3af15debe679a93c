import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The claim checks PowerSync runs after the signature (PROTOCOL §4.1), in jose's order.
struct TokenClaimsPolicy: Sendable {
    /// PowerSync's `clockTolerance`.
    static let clockTolerance: Double = 60
    /// PowerSync's `token_max_expiration` (`1d`).
    static let maximumLifetime: Double = 86_400

    /// `aud` values accepted (`sync.audience`); at least one token audience must be here.
    var audience: [String]

    /// The verified token for `payload`, or the first failing check as a `PSYNC_S21xx` error.
    func validate(_ payload: [String: StackCore.JSONValue], now: Date) throws(SyncServiceError) -> VerifiedToken {
        for claim in ["sub", "iat", "exp"] where payload[claim] == nil || payload[claim] == .null {
            throw .authGeneric("JWT payload is missing a required claim \"\(claim)\"")
        }
        let issuedAt = try Self.timestamp("iat", in: payload)
        let expiresAt = try Self.timestamp("exp", in: payload)
        let clock = now.timeIntervalSince1970
        // jose (and so PowerSync) does not check a future `iat`; we refuse it, because a token "issued" in the
        // future would otherwise stretch its usable life past `exp − iat` as seen by this clock.
        guard issuedAt <= clock + Self.clockTolerance else {
            throw .authGeneric(
                "JWT \"iat\" claim is in the future (more than \(Int(Self.clockTolerance)) s ahead of the server "
                    + "clock); check the clock of the token issuer")
        }
        if payload["nbf"] != nil, try Self.timestamp("nbf", in: payload) > clock + Self.clockTolerance {
            throw .authGeneric("JWT \"nbf\" claim timestamp check failed: the token is not valid yet")
        }
        guard expiresAt > clock - Self.clockTolerance else { throw .expired }
        try checkAudience(payload["aud"])
        let lifetime = expiresAt - issuedAt
        guard lifetime <= Self.maximumLifetime else {
            throw SyncServiceError(
                code: "PSYNC_S2104", status: 401,
                description: "Token must expire in a maximum of \(Int(Self.maximumLifetime)) seconds, got "
                    + "\(Self.number(lifetime))s")
        }
        if let parameters = payload["parameters"], parameters != .null {
            guard case .object = parameters else { throw .authGeneric("Payload parameters must be an object") }
        }
        return VerifiedToken(
            userID: Self.text(of: payload["sub"] ?? .null), payload: .object(payload),
            issuedAt: Date(timeIntervalSince1970: issuedAt), expiresAt: Date(timeIntervalSince1970: expiresAt))
    }

    private func checkAudience(_ claim: StackCore.JSONValue?) throws(SyncServiceError) {
        let values: [StackCore.JSONValue]
        switch claim {
        case nil, .null?: throw .audience("JWT payload is missing a required claim \"aud\"")
        case .array(let array)?: values = array
        case let single?: values = [single]
        }
        guard values.contains(where: { $0.stringValue.map(audience.contains) ?? false }) else {
            throw .audience("Unexpected \"aud\" claim value: \(Self.json(claim ?? .null))")
        }
    }

    /// A NumericDate claim in seconds; anything but a number is `PSYNC_S2101`.
    private static func timestamp(_ claim: String, in payload: [String: StackCore.JSONValue]) throws(SyncServiceError)
        -> Double
    {
        switch payload[claim] {
        case .integer(let value)?: return Double(value)
        case .double(let value)? where value.isFinite: return value
        default: throw .authGeneric("JWT \"\(claim)\" claim must be a number")
        }
    }

    /// `sub` as the text used for user ids: numbers in decimal, other non-strings as JSON.
    static func text(of value: StackCore.JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .double(let real): Self.number(real)
        default: json(value)
        }
    }

    /// A number as JavaScript prints it in these messages: integral values without a fraction.
    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func json(_ value: StackCore.JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
