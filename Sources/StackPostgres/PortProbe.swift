import Foundation
import StackCore

/// Checks and finds TCP ports on this machine.
public enum PortProbe {
    /// Why a listen address cannot be bound.
    public enum BindProblem: Error, Equatable, Sendable {
        /// Another program listens there.
        case inUse
        /// The address is not one of this machine's (EADDRNOTAVAIL).
        case notOnThisMachine
        /// Not an IPv4 address (or `localhost`).
        case notAnAddress
        /// A port below 1024 without the privilege.
        case permissionDenied
        /// Any other `bind` error.
        case other(Int32)

        /// What is wrong with `host:port`, for a message (the caller adds where to change it).
        public func describe(host: String, port: Int) -> String {
            switch self {
            case .inUse: "\(host):\(port) is already in use"
            case .notOnThisMachine: "\(host) is not an address of this machine"
            case .notAnAddress: "\(host) is not an IPv4 address (use 127.0.0.1, 0.0.0.0 or one of this machine's)"
            case .permissionDenied: "port \(port) needs privileges (ports below 1024)"
            case .other(let code): "\(host):\(port) cannot be bound (\(String(cString: strerror(code))))"
            }
        }
    }

    /// True when nothing listens on host:port (tried by binding it briefly).
    public static func isFree(host: String, port: Int) -> Bool {
        bindProblem(host: host, port: port) == nil
    }

    /// Nil when host:port can be bound now, else why not.
    public static func bindProblem(host: String, port: Int) -> BindProblem? {
        switch bind(host: host, port: port) {
        case .success: nil
        case .failure(let problem): problem
        }
    }

    /// A port the system considers free right now on 127.0.0.1, chosen below the ephemeral range when there is room.
    ///
    /// A port the kernel hands out for `bind(0)` comes from the range it also uses for outgoing connections, so once
    /// its listener stops (a restart, a `kill -9`), any outgoing connection may take it and the restart fails with
    /// "address in use". A managed Postgres keeps its port across restarts, so the port is picked outside that range.
    public static func freePort() throws -> Int {
        let ephemeral = ephemeralRange()
        let below = 20_000..<max(20_000, ephemeral.lowerBound)
        if below.count >= 1_000 {
            for _ in 0..<200 {
                let candidate = Int.random(in: below)
                if bindPort(host: "127.0.0.1", port: candidate) != nil { return candidate }
            }
        }
        guard let port = bindPort(host: "127.0.0.1", port: 0) else {
            throw StackError("STACK-P011", "cannot find a free TCP port on 127.0.0.1")
        }
        return port
    }

    /// The kernel's range for outgoing connections' local ports (Linux default 32768–60999).
    static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return 32_768...60_999 }
        return bounds[0]...bounds[1]
    }

    private static func bindPort(host: String, port: Int) -> Int? {
        try? bind(host: host, port: port).get()
    }

    private static func bind(host: String, port: Int) -> Result<Int, BindProblem> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(.other(errno)) }
        defer { close(fd) }
        // Servers (NIO, Postgres) bind with SO_REUSEADDR, so sockets in TIME_WAIT do not make a port busy.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let resolved = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, resolved, &address.sin_addr) == 1 else { return .failure(.notAnAddress) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            switch errno {
            case EADDRINUSE: return .failure(.inUse)
            case EADDRNOTAVAIL: return .failure(.notOnThisMachine)
            case EACCES: return .failure(.permissionDenied)
            case let code: return .failure(.other(code))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return .failure(.other(errno)) }
        return .success(Int(UInt16(bigEndian: address.sin_port)))
    }
}
