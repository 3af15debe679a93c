/// A key the shell's line editor understands, decoded from terminal input bytes.
enum TerminalKey: Sendable, Equatable {
    /// A printable character (UTF-8 decoded).
    case character(Character)
    /// Enter (`\r` or `\n`).
    case enter
    /// Backspace (DEL or ^H): delete before the cursor.
    case backspace
    /// Delete (`ESC [3~`): delete under the cursor.
    case delete
    /// Cursor left (arrow, ^B).
    case left
    /// Cursor right (arrow, ^F).
    case right
    /// One word left (ctrl/alt + left arrow).
    case wordLeft
    /// One word right (ctrl/alt + right arrow).
    case wordRight
    /// Previous history entry (arrow up, ^P).
    case up
    /// Next history entry (arrow down, ^N).
    case down
    /// Start of the line (Home, ^A).
    case home
    /// End of the line (End, ^E).
    case end
    /// ^D: end of input on an empty line, else delete under the cursor.
    case endOfInput
    /// ^K: delete to the end of the line.
    case killToEnd
    /// ^U: delete to the start of the line.
    case killToStart
    /// ^W: delete the word before the cursor.
    case killWord
    /// ^L: clear the screen and redraw.
    case clearScreen
    /// ^C: abandon the line being typed, or interrupt the command running.
    case interrupt
}

/// Turns raw terminal bytes (non-canonical mode) into keys; sequences may be split across reads.
///
/// Unknown control bytes and escape sequences are consumed and dropped, so they never reach the command line.
struct TerminalKeyDecoder: Sendable {
    // Bytes of an unfinished UTF-8 character or escape sequence.
    private var pending: [UInt8] = []

    /// Adds bytes and returns the keys they complete.
    mutating func push(_ bytes: some Sequence<UInt8>) -> [TerminalKey] {
        var keys: [TerminalKey] = []
        for byte in bytes {
            pending.append(byte)
            if let key = decodePending() {
                keys.append(contentsOf: key)
            }
        }
        return keys
    }

    // Decodes `pending` when it holds a complete unit: returns its keys (possibly none) and clears it, or nil to wait.
    private mutating func decodePending() -> [TerminalKey]? {
        let first = pending[0]
        if first == 0x1B { return decodeEscape() }
        if first >= 0x80 { return decodeUTF8() }
        pending.removeAll()
        switch first {
        case 0x0D, 0x0A: return [.enter]
        case 0x7F, 0x08: return [.backspace]
        case 0x01: return [.home]
        case 0x02: return [.left]
        case 0x03: return [.interrupt]
        case 0x04: return [.endOfInput]
        case 0x05: return [.end]
        case 0x06: return [.right]
        case 0x0B: return [.killToEnd]
        case 0x0C: return [.clearScreen]
        case 0x0E: return [.down]
        case 0x10: return [.up]
        case 0x15: return [.killToStart]
        case 0x17: return [.killWord]
        case 0x09: return [.character(" ")]
        case 0x20..<0x7F: return [.character(Character(Unicode.Scalar(first)))]
        default: return []
        }
    }

    private mutating func decodeUTF8() -> [TerminalKey]? {
        let first = pending[0]
        let length =
            switch first {
            case 0xC2...0xDF: 2
            case 0xE0...0xEF: 3
            case 0xF0...0xF4: 4
            default: 0
            }
        guard length > 0 else {
            pending.removeAll()
            return []
        }
        if pending.count > 1, pending.last! & 0xC0 != 0x80 {
            // A broken sequence: drop it, then decode the byte that broke it on its own.
            let last = pending.removeLast()
            pending = [last]
            return decodePending() ?? []
        }
        guard pending.count == length else { return nil }
        defer { pending.removeAll() }
        var decoded = String(decoding: pending, as: UTF8.self).unicodeScalars.makeIterator()
        guard let scalar = decoded.next(), scalar != "\u{FFFD}" else { return [] }
        return [.character(Character(scalar))]
    }

    private mutating func decodeEscape() -> [TerminalKey]? {
        guard pending.count > 1 else { return nil }
        let introducer = pending[1]
        guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else {
            // Alt+key and a lone Escape: drop the ESC, keep the key.
            pending.removeFirst()
            return decodePending() ?? []
        }
        guard pending.count > 2, let final = pending.last, (0x40...0x7E).contains(final) else {
            // Parameters and intermediates continue the sequence; give up on runaway ones.
            if pending.count > 16 { pending.removeAll() }
            return pending.isEmpty ? [] : nil
        }
        let parameters = String(decoding: pending[2..<(pending.count - 1)], as: UTF8.self)
        pending.removeAll()
        let modified = parameters.contains(";")
        switch final {
        case UInt8(ascii: "A"): return [.up]
        case UInt8(ascii: "B"): return [.down]
        case UInt8(ascii: "C"): return [modified ? .wordRight : .right]
        case UInt8(ascii: "D"): return [modified ? .wordLeft : .left]
        case UInt8(ascii: "H"): return [.home]
        case UInt8(ascii: "F"): return [.end]
        case UInt8(ascii: "~"):
            switch parameters.split(separator: ";").first {
            case "1", "7": return [.home]
            case "4", "8": return [.end]
            case "3": return [.delete]
            default: return []
            }
        default: return []
        }
    }
}
