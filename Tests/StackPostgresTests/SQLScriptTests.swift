import StackPostgres
import Testing

@Suite("SQL script splitting for migrations")
struct SQLScriptTests {
    @Test("semicolons inside strings, identifiers, dollar quotes and comments do not split")
    func split() {
        let script = """
            CREATE TABLE "a;b" (v text DEFAULT 'x;y''z');
            -- a comment; with a semicolon
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            /* block; comment */ INSERT INTO t VALUES ($$;$$);
            ;
            """
        #expect(SQLScript.statements(script) == [
            #"CREATE TABLE "a;b" (v text DEFAULT 'x;y''z')"#,
            "-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql",
            "/* block; comment */ INSERT INTO t VALUES ($$;$$)",
        ])
    }

    @Test("a script without a final semicolon keeps its last statement; comments alone are dropped")
    func edges() {
        #expect(SQLScript.statements("SELECT 1; SELECT 2") == ["SELECT 1", "SELECT 2"])
        #expect(SQLScript.statements("-- nothing here\n") == [])
        #expect(SQLScript.statements("") == [])
    }
}
