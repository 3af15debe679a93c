import Foundation
import StackCore

/// Checks and finds TCP ports on this machine.
public enum PortProbe {
    /// True when nothing listens on host:port (tried by binding it briefly).
    public static func isFree(host: String, port: Int) -> Bool {
        bindPort(host: host, port: port) != nil
    }

    /// A port the system considers free right now on 127.0.0.1.
    public static func freePort() throws -> Int {
        guard let port = bindPort(host: "127.0.0.1", port: 0) else {
            throw StackError("STACK-P011", "cannot find a free TCP port on 127.0.0.1")
        }
        return port
    }

    private static func bindPort(host: String, port: Int) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Servers (NIO, Postgres) bind with SO_REUSEADDR, so sockets in TIME_WAIT do not make a port busy.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let resolved = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, resolved, &address.sin_addr) == 1 else { return nil }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
