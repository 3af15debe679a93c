import StackCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A JSON request body checked field by field the way better-call runs a zod 4 schema: every issue is collected in
/// schema order and the 400 `VALIDATION_ERROR` message joins them as `[body.email] Invalid email address; …`
/// (better-call `validator.ts` `fromError`, `error.ts` `ValidationError`).
struct AuthRequestBody {
    let fields: [String: JSONValue]
    private(set) var issues: [String] = []

    /// Parses `bytes` as a JSON object; anything else is a 400 `VALIDATION_ERROR`. `alsoRecord` adds the second issue
    /// of schemas written `z.object(…).and(z.record(…))` (sign-up), whose both sides report a non-object body.
    init(_ bytes: [UInt8], alsoRecord: Bool = false) throws(AuthError) {
        let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        if case .object(let fields)? = value {
            self.fields = fields
            return
        }
        let received = value.map(Self.typeName) ?? (bytes.isEmpty ? "undefined" : "malformed JSON")
        var message = "[body] Invalid input: expected object, received \(received)"
        if alsoRecord { message += "; [body] Invalid input: expected record, received \(received)" }
        throw .invalidBody(message)
    }

    /// A required string (`z.string()`); nil after recording an issue.
    mutating func string(_ key: String) -> String? {
        switch fields[key] {
        case .string(let text)?: return text
        case let value: return record(key, "Invalid input: expected string, received \(Self.typeName(value))")
        }
    }

    /// A required non-empty string (`z.string().nonempty()`).
    mutating func nonEmptyString(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        guard !text.isEmpty else { return record(key, "Too small: expected string to have >=1 characters") }
        return text
    }

    /// A required email (`z.email()`: a string, then zod 4's email pattern).
    mutating func email(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        guard EmailAddress.isValid(text) else { return record(key, "Invalid email address") }
        return text
    }

    /// An optional string (`z.string().optional()`: absent is nil; `null` is an issue, as in zod).
    mutating func optionalString(_ key: String) -> String? {
        switch fields[key] {
        case nil: return nil
        case .string(let text)?: return text
        case let value?: return record(key, "Invalid input: expected string, received \(Self.typeName(value))")
        }
    }

    /// An optional boolean (`z.boolean().optional()`).
    mutating func optionalBool(_ key: String) -> Bool? {
        switch fields[key] {
        case nil: return nil
        case .bool(let flag)?: return flag
        case let value?: return record(key, "Invalid input: expected boolean, received \(Self.typeName(value))")
        }
    }

    /// Throws the collected issues as one `VALIDATION_ERROR`, or returns when there are none.
    func validate() throws(AuthError) {
        guard issues.isEmpty else { throw .invalidBody(issues.joined(separator: "; ")) }
    }

    private mutating func record<T>(_ key: String, _ message: String) -> T? {
        issues.append("[body.\(key)] \(message)")
        return nil
    }

    static func typeName(_ value: JSONValue?) -> String {
        switch value {
        case nil: "undefined"
        case .null?: "null"
        case .bool?: "boolean"
        case .integer?, .double?: "number"
        case .string?: "string"
        case .array?: "array"
        case .object?: "object"
        }
    }
}
