#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The user as BetterAuth's JSON responses show it: JavaScript date strings, `image` as `null` when absent.
extension AuthUser: Codable {
    enum CodingKeys: String, CodingKey {
        case id, name, email, emailVerified, image, createdAt, updatedAt
    }

    /// Decodes BetterAuth's user JSON; dates must be ISO 8601 strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func date(_ key: CodingKeys) throws -> Date {
            let text = try container.decode(String.self, forKey: key)
            guard let date = JavaScriptDate.date(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
            }
            return date
        }
        self.init(
            id: try container.decode(String.self, forKey: .id), name: try container.decode(String.self, forKey: .name),
            email: try container.decode(String.self, forKey: .email),
            emailVerified: try container.decode(Bool.self, forKey: .emailVerified),
            image: try container.decodeIfPresent(String.self, forKey: .image), createdAt: try date(.createdAt),
            updatedAt: try date(.updatedAt))
    }

    /// Encodes every field in BetterAuth's shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(email, forKey: .email)
        try container.encode(emailVerified, forKey: .emailVerified)
        try container.encode(image, forKey: .image)
        try container.encode(JavaScriptDate.string(createdAt), forKey: .createdAt)
        try container.encode(JavaScriptDate.string(updatedAt), forKey: .updatedAt)
    }
}
