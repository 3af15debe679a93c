import Foundation
import StackCore

/// The Postgres server programs (initdb, pg_ctl, postgres) of one major version.
public struct PostgresBinaries: Sendable {
    /// Directory holding the programs.
    public let directory: String
    /// Major version (e.g. 15).
    public let majorVersion: Int

    /// Path of a program in the directory.
    public func path(_ program: String) -> String { directory + "/" + program }

    /// Finds the newest installation: `pg_ctl` on PATH first, then `/usr/lib/postgresql/*/bin`.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment, root: String = "/usr/lib/postgresql"
    ) throws -> PostgresBinaries {
        var candidates: [String] = []
        for directory in (environment["PATH"] ?? "").split(separator: ":").map(String.init) {
            candidates.append(directory)
        }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(root)/\($0)/bin" }
        for directory in candidates {
            let fm = FileManager.default
            guard fm.isExecutableFile(atPath: directory + "/pg_ctl"),
                fm.isExecutableFile(atPath: directory + "/initdb"),
                let version = majorVersion(of: directory + "/pg_ctl")
            else { continue }
            return PostgresBinaries(directory: directory, majorVersion: version)
        }
        throw StackError(
            "STACK-P001",
            "no PostgreSQL server programs found (looked for initdb and pg_ctl on PATH and in /usr/lib/postgresql/*/bin). "
                + "Install them: apt-get install postgresql (Debian/Ubuntu), or set postgres.url to use an existing server."
        )
    }

    /// The major version a program prints for `--version` ("pg_ctl (PostgreSQL) 15.18" → 15).
    static func majorVersion(of program: String) -> Int? {
        guard let output = try? ProcessRunner.run(program, ["--version"]).output else { return nil }
        guard let range = output.range(of: #"\d+"#, options: .regularExpression) else { return nil }
        return Int(output[range])
    }
}
