using AutoCrm.DevStack.Postgres;

namespace AutoCrm.DevStack.Tests.Postgres;

public sealed class SqlStatementSplitterTests
{
    [Fact]
    public void Semicolons_inside_quotes_comments_and_bodies_do_not_split()
    {
        const string script = """
            SELECT 'a;b', E'it\'s;', "odd;name" FROM t; -- trailing; comment
            /* block; /* nested; */ still; */ SELECT 2;
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END; $body$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
            CREATE FUNCTION h(x int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
              SELECT 2;
            END;
            SELECT $1;
            """;

        var statements = SqlStatementSplitter.Split(script).Select(s => s.Text).ToList();

        Assert.Equal(6, statements.Count);
        Assert.Equal("SELECT 'a;b', E'it\\'s;', \"odd;name\" FROM t", statements[0]);
        Assert.Equal("SELECT 2", statements[1]);
        Assert.EndsWith("$body$", statements[2], StringComparison.Ordinal);
        Assert.EndsWith("$$", statements[3], StringComparison.Ordinal);
        Assert.StartsWith("CREATE FUNCTION h", statements[4], StringComparison.Ordinal);
        Assert.EndsWith("END", statements[4], StringComparison.Ordinal);
        Assert.Equal("SELECT $1", statements[5]);
    }

    [Fact]
    public void Offsets_point_at_each_statement_in_the_script()
    {
        const string script = "-- header\n\nSELECT 1;\n  SELECT\n 2;";
        var statements = SqlStatementSplitter.Split(script);
        Assert.Equal(2, statements.Count);
        Assert.Equal(3, SqlStatementSplitter.LineOf(script, statements[0].Offset));
        Assert.Equal(4, SqlStatementSplitter.LineOf(script, statements[1].Offset));
        Assert.Equal("SELECT\n 2", statements[1].Text);
    }

    [Fact]
    public void A_script_of_only_comments_has_no_statements()
    {
        Assert.Empty(SqlStatementSplitter.Split("-- nothing\n/* here */\n;\n"));
    }
}
