import StackPostgres

/// The upload API's own table: which client transactions were applied, for idempotent retries.
public enum UploadMigrations {
    /// The migration namespace.
    public static let namespace = "upload"

    /// The migrations, in order. Landed migrations never change: add a new one.
    public static let all: [Migration] = [
        Migration(
            id: 1, name: "applied client transactions",
            sql: """
                DO $migration$
                BEGIN
                  CREATE SCHEMA IF NOT EXISTS stack_upload;
                  CREATE TABLE IF NOT EXISTS stack_upload.applied_transactions (
                    user_id text NOT NULL, client_id text NOT NULL, op_id text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (user_id, client_id, op_id));
                END
                $migration$
                """)
    ]
}
