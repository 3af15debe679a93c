import Foundation
import StackPGOutput

/// One captured pgoutput message: the slot's LSN column, the xid column and the message bytes.
struct FixtureRow {
    let lsn: LSN
    let xid: UInt32
    let bytes: [UInt8]
}

/// Loads `Fixtures/<name>.txt` written by `dev/capture-pgoutput-fixtures`.
enum Fixture {
    static let names = [
        "default_identity", "full_identity", "toast_unchanged", "truncate", "messages", "types", "origin",
    ]

    static func rows(_ name: String) throws -> [FixtureRow] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "txt") else {
            throw FixtureError(message: "missing fixture \(name).txt")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let lsn = LSN(String(fields[0])), let xid = UInt32(fields[1]) else {
                throw FixtureError(message: "bad fixture line in \(name): \(line.prefix(60))")
            }
            return FixtureRow(lsn: lsn, xid: xid, bytes: try hex(fields[2]))
        }
    }

    static func messages(_ name: String) throws -> [PGOutputMessage] {
        try rows(name).map { try PGOutputDecoder.decode($0.bytes) }
    }

    static func hex(_ text: Substring) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw FixtureError(message: "odd hex length") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw FixtureError(message: "bad hex")
            }
            return byte
        }
    }
}

struct FixtureError: Error {
    let message: String
}
