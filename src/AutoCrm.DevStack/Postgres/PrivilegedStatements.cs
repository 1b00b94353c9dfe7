using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace AutoCrm.DevStack.Postgres;

/// <summary>How the migration runner executes one top-level statement.</summary>
internal enum StatementRoute
{
    /// <summary>As the migration role (<c>postgres</c>, not a superuser).</summary>
    MigrationRole,

    /// <summary>As the superuser on the migration role's behalf (what Supabase's supautils does), then back.</summary>
    Superuser,

    /// <summary>Refused before it runs (it would escape the migration role).</summary>
    Refused,
}

/// <summary>A statement's route, the text to run and, for refused statements, why.</summary>
internal sealed record StatementPlan(StatementRoute Route, string Text, IReadOnlyList<string>? AfterStatements = null, string? Reason = null);

/// <summary>
/// What Supabase lets its non-superuser <c>postgres</c> role do beyond plain PostgreSQL privileges. On Supabase a
/// server hook (supautils) runs these statements as the superuser on postgres's behalf; the DevStack recognises the
/// same statements at the top level of a migration or seed file and does the same:
/// <list type="bullet">
/// <item><c>CREATE EXTENSION</c> of an extension on Supabase's privileged list (pg_cron is always created in
/// <c>pg_catalog</c>, then given to postgres as Supabase's after-create script does);</item>
/// <item><c>CREATE/ALTER/DROP POLICY</c> on the platform tables whose policies the project owns (<c>auth.users</c>,
/// <c>realtime.messages</c>, …) and <c>DROP TRIGGER</c> on them.</item>
/// </list>
/// Anything else runs as postgres and fails where Supabase would fail. Statements that switch the session user are
/// refused: on Supabase postgres cannot become another login.
/// </summary>
internal static partial class PrivilegedStatements
{
    /// <summary>Extensions Supabase creates as the superuser when postgres asks (supautils.privileged_extensions).</summary>
    internal static readonly FrozenSet<string> Extensions = FrozenSet.Create(
        StringComparer.Ordinal,
        "address_standardizer", "address_standardizer_data_us", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube",
        "dblink", "dict_int", "dict_xsyn", "earthdistance", "fuzzystrmatch", "hstore", "http", "hypopg", "index_advisor",
        "insert_username", "intarray", "isn", "ltree", "moddatetime", "orioledb", "pg_buffercache", "pg_cron", "pg_graphql",
        "pg_hashids", "pg_jsonschema", "pg_net", "pg_partman", "pg_prewarm", "pg_repack", "pg_stat_monitor", "pg_stat_statements",
        "pg_tle", "pg_trgm", "pg_walinspect", "pgaudit", "pgcrypto", "pgjwt", "pgmq", "pgroonga", "pgroonga_database", "pgrouting",
        "pgrowlocks", "pgsodium", "pgstattuple", "pgtap", "plcoffee", "pljava", "plls", "plpgsql", "plpgsql_check", "plv8",
        "postgis", "postgis_raster", "postgis_sfcgal", "postgis_tiger_geocoder", "postgis_topology", "postgres_fdw", "refint",
        "rum", "seg", "sslinfo", "supabase_vault", "supautils", "tablefunc", "tcn", "timescaledb", "tsm_system_rows",
        "tsm_system_time", "unaccent", "uuid-ossp", "vector", "wrappers");

    /// <summary>Platform tables on which postgres may create and drop policies and drop triggers, though it does not own them.</summary>
    internal static readonly FrozenSet<string> PlatformTables = FrozenSet.Create(
        StringComparer.Ordinal,
        "auth.audit_log_entries", "auth.identities", "auth.refresh_tokens", "auth.sessions", "auth.users",
        "realtime.messages",
        "storage.buckets", "storage.migrations", "storage.objects", "storage.s3_multipart_uploads", "storage.s3_multipart_uploads_parts");

    /// <summary>The schema pg_cron is always created in on Supabase, whatever the statement says.</summary>
    internal const string PgCronSchema = "pg_catalog";

    /// <summary>
    /// Supabase's after-create script for pg_cron: postgres schedules and reads jobs through cron's functions but
    /// does not write <c>cron.job</c> directly.
    /// </summary>
    internal static readonly IReadOnlyList<string> PgCronAfterCreate =
    [
        "grant usage on schema cron to postgres with grant option",
        "grant all on all functions in schema cron to postgres with grant option",
        "alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres with grant option",
        "alter default privileges for user supabase_admin in schema cron grant all on tables to postgres with grant option",
        "alter default privileges for user supabase_admin in schema cron grant all on functions to postgres with grant option",
        "grant all privileges on all tables in schema cron to postgres with grant option",
        "revoke all on table cron.job from postgres",
        "grant select on table cron.job to postgres with grant option",
    ];

    /// <summary>Decides how to run <paramref name="statement"/> (the text of one top-level statement).</summary>
    public static StatementPlan Plan(string statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        if (SessionAuthorization().IsMatch(statement))
        {
            return new StatementPlan(StatementRoute.Refused, statement, Reason:
                "changing the session authorization is refused: on Supabase migrations run as the postgres role, which cannot become another login");
        }

        var extension = CreateExtension().Match(statement);
        if (extension.Success)
        {
            var name = Unquote(extension.Groups["name"].Value);
            if (!Extensions.Contains(name))
            {
                return new StatementPlan(StatementRoute.MigrationRole, statement);
            }

            if (name != "pg_cron")
            {
                return new StatementPlan(StatementRoute.Superuser, statement);
            }

            // supautils' extensions_parameter_overrides: pg_cron lives in pg_catalog whatever schema was asked for.
            var options = SchemaOption().Replace(extension.Groups["options"].Value, " ");
            options = LeadingWith().Replace(options, " ");
            options = string.Join(' ', options.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            var text = $"{extension.Groups["create"].Value} {extension.Groups["name"].Value} with schema {PgCronSchema}{(options.Length > 0 ? " " + options : string.Empty)}";
            return new StatementPlan(StatementRoute.Superuser, text, PgCronAfterCreate);
        }

        var onTable = PolicyOrTrigger().Match(statement);
        if (onTable.Success && PlatformTables.Contains(Unquote(onTable.Groups["schema"].Value) + "." + Unquote(onTable.Groups["table"].Value)))
        {
            var isTrigger = onTable.Groups["kind"].Value.Equals("trigger", StringComparison.OrdinalIgnoreCase);
            var isDrop = onTable.Groups["verb"].Value.Equals("drop", StringComparison.OrdinalIgnoreCase);
            if (!isTrigger || isDrop)
            {
                return new StatementPlan(StatementRoute.Superuser, statement);
            }
        }

        return new StatementPlan(StatementRoute.MigrationRole, statement);
    }

    private static string Unquote(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier.ToLowerInvariant();

    private const string Identifier = @"(?:""(?:[^""]|"""")+""|[A-Za-z_][A-Za-z0-9_$-]*)";

    [GeneratedRegex(@"\bsession\s+authorization\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SessionAuthorization();

    [GeneratedRegex(@"^(?<create>create\s+extension(?:\s+if\s+not\s+exists)?)\s+(?<name>" + Identifier + @")(?<options>.*)$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CreateExtension();

    [GeneratedRegex(@"\bschema\s+" + Identifier, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemaOption();

    [GeneratedRegex(@"^\s*with\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LeadingWith();

    [GeneratedRegex(@"^(?<verb>create|alter|drop)\s+(?<kind>policy|trigger)\s+(?:if\s+exists\s+)?" + Identifier + @"\s+on\s+(?<schema>" + Identifier + @")\s*\.\s*(?<table>" + Identifier + ")", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PolicyOrTrigger();
}
