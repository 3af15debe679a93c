import Foundation
import Testing

/// Reads checked-in fixtures.
enum Fixture {
    static func data(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    static func lines(_ name: String) throws -> [[UInt8]] {
        try data(name).split(separator: UInt8(ascii: "\n")).map(Array.init)
    }
}
