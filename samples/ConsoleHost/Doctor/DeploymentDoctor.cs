using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

namespace AutoCrm.ConsoleHost.Doctor;

/// <summary>
/// Checks a deployment (a Supabase project or a DevStack) from the outside, with the key its hosts use: the key, the
/// applied migrations, the SDK's functions and realtime tables, row-level security on every table, what the anon key
/// can read, the pg_cron jobs the schema expects, and a change travelling through realtime.
/// </summary>
internal sealed partial class DeploymentDoctor(Uri url, string apiKey, TimeSpan timeout)
{
    /// <summary>The table only the realtime probe writes and anyone may read, by design.</summary>
    private const string ProbeTable = "deployment_probes";

    /// <summary>The migrations this build of the tool ships (embedded in the DevStack), as <c>version_name</c>, in order.</summary>
    internal static IReadOnlyList<string> KnownMigrations { get; } = typeof(DevStackServer).Assembly.GetManifestResourceNames()
        .Select(n => MigrationResource().Match(n))
        .Where(m => m.Success)
        .Select(m => m.Groups[1].Value)
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToList();

    public async Task<IReadOnlyList<DoctorCheck>> RunAsync(CancellationToken cancellationToken)
    {
        // A fresh client without any saved session: every call is made as the key's own role.
        using var crm = new CrmClient(new CrmClientOptions { Url = url, ApiKey = apiKey, SessionStore = new InMemorySessionStore() });
        var checks = new List<DoctorCheck> { CheckKey(out var isAnonKey) };

        DeploymentStatus? status = null;
        try
        {
            status = DeploymentStatus.Parse(await crm.Rest.Rpc("deployment_status").AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false));
            checks.Add(DoctorCheck.Pass("api", $"{url} answers with this key"));
        }
        catch (CrmException ex) when (ex.Status is 401 or 403 && ex.Code != "42501")
        {
            checks.Add(DoctorCheck.Fail("api", $"{url} refused the key (HTTP {ex.Status}: {ex.Message}): pass this project's anon key (dashboard: Project Settings → API)"));
            return SkipRest(checks, "the project refused the key");
        }
        catch (CrmException ex) when (ex.Status == 0 || ex.Status >= 500)
        {
            checks.Add(DoctorCheck.Fail("api", $"{url} cannot be reached: {ex.Message}"));
            return SkipRest(checks, "the project cannot be reached");
        }
        catch (CrmException ex) when (ex.Status == 404)
        {
            // deployment_status() is missing: the migrations are older than the one that adds it. The rest is checked from outside.
            checks.Add(DoctorCheck.Pass("api", $"{url} answers with this key"));
        }

        checks.Add(CheckMigrations(status));
        checks.Add(status is null ? SkipNeedsStatus("functions") : CheckContains("functions", "the functions the SDK calls", status.Functions, CrmSchema.Functions, "function(s)"));
        checks.Add(status is null ? SkipNeedsStatus("row-level-security") : CheckRowLevelSecurity(status));
        checks.Add(isAnonKey
            ? await CheckAnonAccessAsync(crm, status?.Tables ?? CrmSchema.Tables, cancellationToken).ConfigureAwait(false)
            : DoctorCheck.Skip("anon-access", "needs the anon key"));
        checks.Add(status is null ? SkipNeedsStatus("realtime-publication") : CheckContains("realtime-publication", "the tables the SDK streams", status.RealtimeTables, [.. CrmSchema.RealtimeTables, ProbeTable], "table(s) missing from the supabase_realtime publication"));
        checks.Add(status is null ? SkipNeedsStatus("pg_cron") : CheckPgCron(status));
        checks.Add(status is null ? SkipNeedsStatus("realtime") : await CheckRealtimeAsync(crm, cancellationToken).ConfigureAwait(false));
        return checks;
    }

    private DoctorCheck CheckKey(out bool isAnonKey)
    {
        var role = CrmTarget.KeyRole(apiKey);
        isAnonKey = role == "anon" || apiKey.StartsWith("sb_publishable_", StringComparison.Ordinal);
        return role switch
        {
            _ when isAnonKey => DoctorCheck.Pass("key", "the anon key: what hosts and browsers use"),
            "service_role" => DoctorCheck.Fail("key", "this is the service_role key, which bypasses row-level security: give hosts the anon key and keep the service_role key in trusted workers"),
            null => DoctorCheck.Fail("key", "not an API key of a Supabase project (neither a JWT with a role claim nor an sb_publishable_ key)"),
            _ => DoctorCheck.Fail("key", $"a token for role '{role}', not the anon key"),
        };
    }

    private static DoctorCheck CheckMigrations(DeploymentStatus? status)
    {
        const string Name = "migrations";
        var known = KnownMigrations;
        if (status is null)
        {
            return DoctorCheck.Fail(Name,
                $"deployment_status() does not exist, so migration {CrmSchema.MinimumMigration} and any later one (newest of this release: {known[^1]}) are not applied: run `supabase db push`");
        }

        if (status.Migrations is not { } applied)
        {
            return DoctorCheck.Fail(Name, "the project has no Supabase CLI migration history (supabase_migrations.schema_migrations): apply the migrations with `supabase db push`");
        }

        var appliedSet = applied.ToHashSet(StringComparer.Ordinal);
        var missing = known.Where(m => !appliedSet.Contains(Version(m))).ToList();
        if (missing.Count > 0)
        {
            return DoctorCheck.Fail(Name, $"{missing.Count} migration(s) not applied: {string.Join(", ", missing)}: run `supabase db push`");
        }

        var newer = applied.Count(v => !known.Any(m => Version(m) == v));
        return DoctorCheck.Pass(Name, $"all {known.Count} migrations of this release are applied (newest {known[^1]})"
            + (newer > 0 ? $"; {newer} newer one(s) too" : string.Empty));
    }

    private static DoctorCheck CheckContains(string name, string what, IReadOnlyList<string> present, IReadOnlyList<string> required, string missingNoun)
    {
        var missing = required.Where(r => !present.Contains(r, StringComparer.Ordinal)).ToList();
        return missing.Count == 0
            ? DoctorCheck.Pass(name, $"{what} are there ({string.Join(", ", required)})")
            : DoctorCheck.Fail(name, $"{missing.Count} {missingNoun}: {string.Join(", ", missing)}");
    }

    private static DoctorCheck CheckRowLevelSecurity(DeploymentStatus status) => status.TablesWithoutRls.Count == 0
        ? DoctorCheck.Pass("row-level-security", $"on for all {status.Tables.Count} tables of schema public")
        : DoctorCheck.Fail("row-level-security", $"off for {string.Join(", ", status.TablesWithoutRls.Select(t => "public." + t))}: `alter table … enable row level security` (every table the API exposes needs it)");

    private static async Task<DoctorCheck> CheckAnonAccessAsync(CrmClient crm, IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        const string Name = "anon-access";
        var readable = new List<string>();
        var checkedTables = 0;
        foreach (var table in tables.Where(t => t != ProbeTable))
        {
            try
            {
                var rows = await crm.Rest.From(table).Select("*").Limit(1).AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
                if (rows.ValueKind == JsonValueKind.Array && rows.GetArrayLength() > 0)
                {
                    readable.Add("public." + table);
                }
            }
            catch (CrmException ex) when (ex.Status is 401 or 403 or 404 || ex.Code == "42501")
            {
                // Denied or not exposed: exactly what the anon key should get.
            }

            checkedTables++;
        }

        return readable.Count == 0
            ? DoctorCheck.Pass(Name, $"the anon key reads no rows of {checkedTables} tables")
            : DoctorCheck.Fail(Name, $"the anon key reads rows of {string.Join(", ", readable)}");
    }

    private static DoctorCheck CheckPgCron(DeploymentStatus status)
    {
        const string Name = "pg_cron";
        var expected = status.ScheduledFunctions.Where(f => f.Present).ToList();
        if (expected.Count == 0)
        {
            return DoctorCheck.Pass(Name, "no scheduled work in this schema yet" + (status.PgCronEnabled ? " (pg_cron is enabled)" : string.Empty));
        }

        var unscheduled = expected.Where(f => !f.Scheduled).Select(f => f.Function).ToList();
        if (unscheduled.Count == 0)
        {
            return DoctorCheck.Pass(Name, $"scheduled: {string.Join(", ", expected.Select(f => f.Function))}");
        }

        var remedy = status.PgCronEnabled
            ? "no active pg_cron job runs it: apply the migrations again after enabling pg_cron, or schedule it (docs/deploy.md, \"pg_cron\")"
            : "pg_cron is not enabled: enable it (dashboard: Database → Extensions → pg_cron), then schedule it (docs/deploy.md, \"pg_cron\")";
        return DoctorCheck.Fail(Name, $"{string.Join(", ", unscheduled)} is not scheduled: {remedy}");
    }

    private async Task<DoctorCheck> CheckRealtimeAsync(CrmClient crm, CancellationToken cancellationToken)
    {
        var failure = await RealtimeProbe.RunAsync(
            url,
            apiKey,
            (token, ct) => crm.Rest.Rpc("touch_deployment_probe", new JsonObject { ["token"] = token }).ExecuteAsync(ct),
            timeout,
            cancellationToken).ConfigureAwait(false);
        return failure is null
            ? DoctorCheck.Pass("realtime", "a change to public.deployment_probes arrived over the websocket")
            : DoctorCheck.Fail("realtime", failure);
    }

    private static DoctorCheck SkipNeedsStatus(string name) => DoctorCheck.Skip(name, "needs deployment_status() (see migrations)");

    private static List<DoctorCheck> SkipRest(List<DoctorCheck> checks, string reason)
    {
        foreach (var name in new[] { "migrations", "functions", "row-level-security", "anon-access", "realtime-publication", "pg_cron", "realtime" })
        {
            checks.Add(DoctorCheck.Skip(name, reason));
        }

        return checks;
    }

    private static string Version(string migration) => migration[..migration.IndexOf('_', StringComparison.Ordinal)];

    [GeneratedRegex(@"^supabase/migrations/([0-9]+_.+)\.sql$")]
    private static partial Regex MigrationResource();
}
