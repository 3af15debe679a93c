import Foundation
import NIOCore
import NIOPosix

/// What a bare TCP connection attempt says about a server, without speaking its protocol.
///
/// Only an answer counts: a connection refused, no route, or a name that does not resolve means nothing can be
/// reached there. A connect that times out says nothing, because a loaded machine (or a full listen backlog) is slow,
/// not down.
public enum ConnectOutcome: Sendable, Equatable {
    /// Something listens there and accepted the connection.
    case accepted
    /// Nothing can be reached there; the text says why, for logs.
    case refused(String)
    /// No answer within the timeout, or a local failure (out of file descriptors): not known to be down.
    case noAnswer
}

extension PortProbe {
    /// Opens a TCP connection to `host:port` and closes it at once; nothing is sent.
    public static func connect(host: String, port: Int, timeout: TimeAmount) async -> ConnectOutcome {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(timeout)
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            try? await channel.close()
            return .accepted
        } catch {
            return outcome(of: error)
        }
    }

    /// Sorts a connect error into "nothing there" and "no answer" (internal for tests).
    static func outcome(of error: any Error) -> ConnectOutcome {
        switch error {
        case let error as IOError where Self.unreachableCodes.contains(error.errnoCode):
            return .refused(error.description)
        case let error as NIOConnectionError:
            let failures = error.connectionErrors.map(\.error)
            if failures.isEmpty {
                // No address to try: the name does not resolve.
                return error.dnsAError != nil || error.dnsAAAAError != nil
                    ? .refused("\(error.host) does not resolve") : .noAnswer
            }
            let outcomes = failures.map(outcome(of:))
            guard outcomes.allSatisfy({ $0 != .accepted && $0 != .noAnswer }), let first = outcomes.first else {
                return .noAnswer
            }
            return first
        default:
            return .noAnswer
        }
    }

    /// Connection refused, network or host unreachable, address not available.
    private static let unreachableCodes: Set<Int32> = [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL]
}
