import StackConfig
import StackPostgres

/// Numbered migrations of the bucket storage (namespace `buckets`), in the schema `sync.storage_schema`.
public enum BucketMigrations {
    /// The migration namespace.
    public static let namespace = "buckets"

    /// Every migration, with the schema name quoted into the statements.
    public static func all(schema: String) -> [Migration] {
        let s = Identifier.quoted(schema)
        let sequence = "'" + "\(s).op_id_sequence".replacingOccurrences(of: "'", with: "''") + "'::regclass"
        return [
            Migration(
                id: 1, name: "bucket storage",
                // The Migrator sends one extended-protocol query, which allows a single command: a DO block.
                sql: """
                    DO $migration$ BEGIN
                    CREATE SCHEMA IF NOT EXISTS \(s);
                    CREATE SEQUENCE \(s).op_id_sequence AS bigint START 1;
                    CREATE SEQUENCE \(s).stream_id_sequence AS integer START 1;
                    CREATE TABLE \(s).replication_streams (
                      id integer PRIMARY KEY,
                      state text NOT NULL,
                      slot_name text NOT NULL,
                      rules_hash text NOT NULL,
                      content text NOT NULL,
                      snapshot_done boolean NOT NULL DEFAULT false,
                      snapshot_lsn text,
                      no_checkpoint_before text,
                      persisted_lsn text,
                      last_checkpoint bigint,
                      last_checkpoint_lsn text,
                      keepalive_op bigint,
                      last_checkpoint_ts timestamptz,
                      last_keepalive_ts timestamptz,
                      last_fatal_error text,
                      created_at timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE \(s).bucket_data (
                      group_id integer NOT NULL,
                      bucket_name text NOT NULL,
                      op_id bigint NOT NULL,
                      op text NOT NULL,
                      source_table text,
                      source_key text,
                      table_name text,
                      row_id text,
                      checksum bigint NOT NULL,
                      data text,
                      target_op bigint,
                      PRIMARY KEY (group_id, bucket_name, op_id));
                    CREATE TABLE \(s).current_data (
                      group_id integer NOT NULL,
                      source_table text NOT NULL,
                      source_key text NOT NULL,
                      buckets text NOT NULL,
                      lookups text NOT NULL,
                      data text NOT NULL,
                      PRIMARY KEY (group_id, source_table, source_key));
                    CREATE TABLE \(s).bucket_parameters (
                      id bigint PRIMARY KEY,
                      group_id integer NOT NULL,
                      source_table text NOT NULL,
                      source_key text NOT NULL,
                      lookup text NOT NULL,
                      bucket_parameters text NOT NULL);
                    CREATE INDEX bucket_parameters_lookup ON \(s).bucket_parameters (group_id, lookup, id DESC);
                    CREATE INDEX bucket_parameters_source ON \(s).bucket_parameters (group_id, source_table, source_key);
                    CREATE TABLE \(s).source_tables (
                      group_id integer NOT NULL,
                      schema_name text NOT NULL,
                      table_name text NOT NULL,
                      snapshot_done boolean NOT NULL DEFAULT false,
                      snapshot_total_estimated_count bigint,
                      snapshot_replicated_count bigint NOT NULL DEFAULT 0,
                      snapshot_last_key text,
                      PRIMARY KEY (group_id, schema_name, table_name));
                    CREATE TABLE \(s).write_checkpoints (
                      user_id text PRIMARY KEY,
                      lsn text NOT NULL,
                      write_checkpoint bigint NOT NULL,
                      checkpoint_requested_at timestamptz NOT NULL DEFAULT now());
                    END $migration$
                    """),
            Migration(
                id: 2, name: "op ids assigned by the database",
                // Ops and parameter rows are written with COPY in the order planned; each row takes its op id from
                // the sequence as it is inserted, so ids follow that order without a round trip to reserve them.
                sql: """
                    ALTER TABLE \(s).bucket_data ALTER COLUMN op_id SET DEFAULT nextval(\(sequence));
                    ALTER TABLE \(s).bucket_parameters ALTER COLUMN id SET DEFAULT nextval(\(sequence))
                    """),
        ]
    }
}
