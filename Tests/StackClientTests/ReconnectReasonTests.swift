import Testing

@testable import StackClient

/// `sync --watch` prints the reason of a reconnect as `disconnected: <reason>; reconnecting`.
@Suite struct ReconnectReasonTests {
    @Test func reasonsReadAsWords() {
        #expect("\(ReconnectReason.tokenExpired)" == "token expired, fetching a new one")
        #expect(
            "\(ReconnectReason.checksumMismatch(["1#a", "1#b"]))"
                == "checksum mismatch in bucket(s) 1#a, 1#b, downloading them again")
        #expect(
            "\(ReconnectReason.protocolViolation("diff before checkpoint"))"
                == "the sync service broke the protocol (diff before checkpoint)")
    }

    /// The watch loop reports how a stream ended with `"\(end)"`: it printed
    /// `reconnect(StackClient.ReconnectReason.tokenExpired)`.
    @Test func streamEndsReadAsWords() {
        #expect("\(SyncClient.StreamEnd.reconnect(.tokenExpired))" == "token expired, fetching a new one")
        #expect("\(SyncClient.StreamEnd.closed)" == "the sync service closed the stream")
    }
}
