import Foundation
import Logging
import StackConfig
import StackCore
import Testing

@testable import StackPostgres

@Suite struct ManagedPostgresReachTests {
    @Test("ancestors: every directory above the paths, root first, each once")
    func ancestors() {
        #expect(
            ManagedPostgres.ancestors(of: ["/a/b/data", "/a/c/logs/pg.log"])
                == ["/", "/a", "/a/b", "/a/c", "/a/c/logs"])
    }

    @Test(
        "running as root, a data directory below a 0700 directory is refused with the chmod fix, before initdb",
        .enabled(if: geteuid() == 0 && getpwnam("postgres") != nil))
    func unreachableDataDirectory() throws {
        let base = NSTemporaryDirectory() + "stack-reach-\(UUID().uuidString)"
        let project = base + "/project"
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o755)
        chmod(project, 0o700)
        let settings = ManagedPostgresSettings(
            dataDir: project + "/.stack/postgres", port: 1, database: "app", maxSlotWALKeepSize: "1GB")
        let managed = try ManagedPostgres.prepare(settings: settings, stateDir: project + "/.stack")
        let error = try #require(throws: StackError.self) {
            try managed.initializeIfNeeded(logger: Logger(label: "test"))
        }
        #expect(error.code == "STACK-P013")
        #expect(error.message.contains("cannot enter \(project) (mode 700, owner root)"), "\(error.message)")
        #expect(error.message.contains("chmod o+x \(project)"))
        #expect(!FileManager.default.fileExists(atPath: settings.dataDir), "refused before anything was created")

        chmod(project, 0o701)
        try managed.checkReachableByServerUser()
    }
}
