import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON request body checked field by field, with better-call/zod-style messages (`[body.email] …`).
struct AuthRequestBody {
    let fields: [String: JSONValue]

    /// Parses `bytes` as a JSON object; anything else is a 400 `VALIDATION_ERROR`.
    init(_ bytes: [UInt8]) throws(AuthError) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw .invalidBody("[body] Invalid input: expected object, received \(bytes.isEmpty ? "undefined" : "malformed JSON")")
        }
        guard case .object(let fields) = value else {
            throw .invalidBody("[body] Invalid input: expected object, received \(Self.typeName(value))")
        }
        self.fields = fields
    }

    /// A required string field.
    func string(_ key: String) throws(AuthError) -> String {
        guard let value = fields[key] else { throw .invalidBody(Self.message(key, "string", "undefined")) }
        guard case .string(let text) = value else { throw .invalidBody(Self.message(key, "string", Self.typeName(value))) }
        return text
    }

    /// An optional string field (absent or `null` ⇒ nil).
    func optionalString(_ key: String) throws(AuthError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let value?: throw .invalidBody(Self.message(key, "string", Self.typeName(value)))
        }
    }

    /// An optional boolean field (absent or `null` ⇒ nil).
    func optionalBool(_ key: String) throws(AuthError) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let value?: throw .invalidBody(Self.message(key, "boolean", Self.typeName(value)))
        }
    }

    static func message(_ key: String, _ expected: String, _ received: String) -> String {
        "[body.\(key)] Invalid input: expected \(expected), received \(received)"
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
