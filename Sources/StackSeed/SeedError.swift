import StackCore

/// Why `stack seed` cannot run (codes `STACK-Ennn`).
public struct SeedError: CodedError, Equatable {
    /// The stable code.
    public let code: String
    /// What is wrong, what was seen and what to do.
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// No `sample-data/` folder where it was looked for.
    static func dataNotFound(_ places: [String]) -> SeedError {
        SeedError(
            "STACK-E001",
            "no sample-data folder found (looked in \(places.joined(separator: ", "))). "
                + "Run from the repository root or pass --data DIR.")
    }

    /// A sample-data file is missing or not valid JSON of the documented shape.
    static func unreadable(_ file: String, _ reason: String) -> SeedError {
        SeedError("STACK-E002", "cannot read \(file): \(reason). See sample-data/README.md for the format.")
    }

    /// The files are readable but refer to something that does not exist or make no sense.
    static func invalid(_ file: String, _ reason: String) -> SeedError {
        SeedError("STACK-E003", "\(file): \(reason). See sample-data/README.md for the format.")
    }

    /// The config schema lacks a table or column the sample data writes.
    static func schemaMismatch(_ problems: [String], config: String) -> SeedError {
        SeedError(
            "STACK-E004",
            "the sample data does not fit the schema of \(config): \(problems.joined(separator: "; ")). "
                + "Seed with the seed app's config (--config dev/stack.yaml) or add the tables to schema.tables.")
    }

    /// `--scale` outside 1...10000.
    static func badScale(_ value: Int) -> SeedError {
        SeedError("STACK-E005", "--scale must be between 1 and 10000, got \(value)")
    }

    /// A demo user's password breaks the password policy, or its email is malformed.
    static func badUser(_ email: String, _ reason: String) -> SeedError {
        SeedError("STACK-E006", "sample user \(email): \(reason). Fix sample-data/users.json.")
    }

    /// `--reset` on a database stack does not manage, without `--force`.
    static func resetNeedsForce(_ database: String) -> SeedError {
        SeedError(
            "STACK-E010",
            "--reset wipes users, app tables and sync storage, and \(database) is not the managed database. "
                + "Run stack seed --reset --force if you mean it.")
    }

    /// `--reset` while replication is running.
    static func replicationRunning(_ slots: [String]) -> SeedError {
        SeedError(
            "STACK-E011",
            "--reset needs replication stopped, but replication slot(s) \(slots.joined(separator: ", ")) are in use "
                + "(a stack up is running against this database). Run stack down, then stack seed --reset.")
    }
}
