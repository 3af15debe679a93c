import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes to standard output and standard error without touching C globals (Swift 6 forbids `stdout`).
enum Console {
    /// A line on standard output.
    static func out(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// A line on standard error.
    static func error(_ text: String) {
        write(text + "\n", to: STDERR_FILENO)
    }

    /// Writes all of `text` to a descriptor. A reader that went away (`stack status -o json | head -1`) ends the
    /// process quietly with the status a SIGPIPE death has (141), instead of Foundation's trap on a failed write.
    static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && errno == EPIPE {
                exit(128 + SIGPIPE)
            } else {
                return
            }
        }
    }

    /// Pretty, sorted JSON of an encodable value on standard output.
    static func json(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { out(String(decoding: data, as: UTF8.self)) }
    }

    /// A value quoted for a POSIX shell (`-o env` output can be `eval`ed).
    static func shellQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
