import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The terminal settings the shell's line editor needs: no kernel line editing or echo, and ^C read as a key (it
/// abandons the line being typed or interrupts the running command, as in other shells); ^Z still suspends.
struct TerminalMode: Sendable {
    // The settings found at start, restored at the end.
    private let saved: termios

    /// Whether standard input and output are both terminals (else the shell reads plain lines and draws nothing).
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Switches standard input to non-canonical mode without echo; nil when it is not a terminal.
    static func enterCharacterMode() -> TerminalMode? {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return nil }
        let saved = settings
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO | IEXTEN)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VINTR)] = 0  // _POSIX_VDISABLE: ^C arrives as byte 0x03 instead of SIGINT
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSADRAIN, &settings) == 0 else { return nil }
        return TerminalMode(saved: saved)
    }

    /// Puts the terminal back as it was.
    func restore() {
        var settings = saved
        _ = tcsetattr(STDIN_FILENO, TCSADRAIN, &settings)
    }

    /// Columns of the terminal on standard output (80 when unknown).
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
