import Crypto
import Foundation

/// HS256 tokens for the bench's static key.
enum BenchToken {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func make(sub: String, audience: String, kid: String, secret: [UInt8], lifetime: Int) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header = #"{"alg":"HS256","kid":"\#(kid)","typ":"JWT"}"#
        let payload = #"{"aud":"\#(audience)","exp":\#(now + lifetime),"iat":\#(now),"sub":"\#(sub)"}"#
        let input = base64URL(Array(header.utf8)) + "." + base64URL(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + base64URL(Array(mac))
    }
}
