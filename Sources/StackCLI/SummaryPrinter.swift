import Foundation
import StackServer

/// The one grouped summary `stack up` and `stack status` print.
enum SummaryPrinter {
    static func print(_ endpoints: StackEndpoints, format: OutputFormat, footer: Bool, title: String = "stack is up") {
        switch format {
        case .json:
            // `"running": true` beside the endpoints, the counterpart of `status`'s `{"running": false}`.
            Console.json(RunningEndpoints(endpoints: endpoints))
        case .env:
            for (name, value) in endpoints.environment { Console.out("\(name)=\(Console.shellQuoted(value))") }
        case .text:
            let database = endpoints.redacted.databaseURL + (endpoints.managedPostgres ? "  (managed)" : "")
            let rows = [
                ("auth", endpoints.authURL), ("jwks", endpoints.jwksURL), ("upload", endpoints.uploadURL),
                ("sync", endpoints.syncURL), ("database", database), ("config", endpoints.configPath),
            ]
            var text = "\(title) (pid \(endpoints.pid))\n"
            for (name, value) in rows {
                text += "  " + name.padding(toLength: 10, withPad: " ", startingAt: 0) + value + "\n"
            }
            if footer { text += "Press Ctrl-C to stop." } else { text.removeLast() }
            Console.out(text)
        }
    }
}

/// The JSON summary: the endpoints' keys plus `"running": true`.
struct RunningEndpoints: Encodable {
    let endpoints: StackEndpoints

    enum CodingKeys: String, CodingKey { case running }

    func encode(to encoder: any Encoder) throws {
        try endpoints.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .running)
    }
}
