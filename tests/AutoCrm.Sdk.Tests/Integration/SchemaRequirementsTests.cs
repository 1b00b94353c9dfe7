using System.Text.Json;
using System.Text.RegularExpressions;
using AutoCrm.DataGenerator;
using AutoCrm.Sdk.Tickets;
using Npgsql;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// <see cref="CrmSchema"/> states what the SDK needs of the database; these tests keep it true: the minimum names a
/// real migration, every function and table the SDK's code uses is listed, and a migrated database has them all.
/// </summary>
public sealed partial class SchemaRequirementsTests(DevStackFixture stack)
{
    [Fact]
    public void The_minimum_migration_is_a_migration_of_the_repository()
    {
        var file = Path.Combine(RepositoryDirectory(), "supabase", "migrations", CrmSchema.MinimumMigration + ".sql");

        Assert.True(File.Exists(file), $"{file} does not exist");
        Assert.StartsWith(CrmSchema.MinimumVersion + "_", CrmSchema.MinimumMigration, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_listed_function_and_table_is_created_by_the_minimum_migration_or_an_older_one()
    {
        // The minimum is the newest migration the SDK depends on: a function or table that only a later migration
        // creates means the minimum must move forward with it.
        var upToMinimum = Directory.EnumerateFiles(Path.Combine(RepositoryDirectory(), "supabase", "migrations"), "*.sql")
            .Where(f => string.CompareOrdinal(Path.GetFileNameWithoutExtension(f), CrmSchema.MinimumMigration) <= 0)
            .Select(File.ReadAllText)
            .ToList();

        var created = upToMinimum.SelectMany(s => CreatedObject().Matches(s)).Select(m => m.Groups["name"].Value).ToHashSet();

        Assert.Empty(CrmSchema.Functions.Concat(CrmSchema.ServiceFunctions).Concat(CrmSchema.Tables).Except(created));
    }

    [Fact]
    public void Every_function_and_table_the_sdk_code_uses_is_listed()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryDirectory(), "src", "AutoCrm.Sdk"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        Assert.NotEmpty(sources);

        var functions = sources.SelectMany(s => FunctionCall().Matches(s)).Select(m => m.Groups["name"].Value).ToHashSet();
        var tables = sources.SelectMany(s => TableRead().Matches(s)).Select(m => m.Groups["name"].Value).ToHashSet();
        var streamed = sources.SelectMany(s => StreamedTable().Matches(s)).Select(m => m.Groups["name"].Value).ToHashSet();

        Assert.Contains("claim_next_ticket", functions); // the scan finds calls at all
        Assert.Contains("lease_webhook_deliveries", functions); // and the dispatcher's, which only the service role calls
        Assert.Empty(functions.Except(CrmSchema.Functions).Except(CrmSchema.ServiceFunctions));
        Assert.Empty(CrmSchema.Functions.Intersect(CrmSchema.ServiceFunctions));
        Assert.Empty(tables.Except(CrmSchema.Tables));
        Assert.Empty(streamed.Except(CrmSchema.RealtimeTables));
    }

    [Fact]
    public async Task A_migrated_database_has_every_function_and_table_the_sdk_needs()
    {
        var status = await stack.Service.Rest.Rpc("deployment_status").ToJsonAsync(TestContext.Current.CancellationToken);

        Assert.Contains(CrmSchema.MinimumVersion, Names(status, "migrations"));
        Assert.Empty(CrmSchema.Functions.Except(Names(status, "functions")));
        Assert.Empty(CrmSchema.Tables.Except(Names(status, "tables")));
        Assert.Empty(CrmSchema.RealtimeTables.Except(Names(status, "realtime_tables")));
    }

    [Fact]
    public async Task A_migrated_database_has_the_service_functions_executable_by_the_service_role_only()
    {
        // deployment_status lists what signed-in users may call, so these are checked in the catalog.
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(CrmDataGenerator.ConnectionStringFrom(stack.Server.DatabaseUrl));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            select p.proname from pg_catalog.pg_proc p
             where p.pronamespace = 'public'::regnamespace and p.proname = any(@names)
               and pg_catalog.has_function_privilege('service_role', p.oid, 'execute')
               and not pg_catalog.has_function_privilege('authenticated', p.oid, 'execute')
               and not pg_catalog.has_function_privilege('anon', p.oid, 'execute')
            """, connection);
        command.Parameters.AddWithValue("names", CrmSchema.ServiceFunctions.ToArray());
        var found = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                found.Add(reader.GetString(0));
            }
        }

        Assert.Equal(CrmSchema.ServiceFunctions.Order(), found.Order());
    }

    [Fact]
    public async Task Every_ticket_event_kind_the_database_accepts_is_a_kind_the_sdk_knows()
    {
        // Each feature that writes history adds its kind to ticket_events_kind_check; TicketEventKind must name it too.
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(CrmDataGenerator.ConnectionStringFrom(stack.Server.DatabaseUrl));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "select pg_catalog.pg_get_constraintdef(oid) from pg_catalog.pg_constraint where conname = 'ticket_events_kind_check'",
            connection);
        var definition = (string)(await command.ExecuteScalarAsync(ct))!;
        var accepted = QuotedLiteral().Matches(definition).Select(m => m.Groups["value"].Value).ToHashSet();
        var known = typeof(TicketEventKind).GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(p => p.PropertyType == typeof(TicketEventKind))
            .Select(p => ((TicketEventKind)p.GetValue(null)!).Value)
            .ToHashSet();

        Assert.Contains("created", accepted); // the constraint was read at all
        Assert.Equal(accepted.Order(), known.Order());
    }

    private static List<string> Names(JsonElement status, string property) =>
        status.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();

    private static string RepositoryDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "supabase", "migrations")) && Directory.Exists(Path.Combine(dir.FullName, "src", "AutoCrm.Sdk")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root was not found above the test assembly.");
    }

    [GeneratedRegex(@"(?:\bRpc|\bRpcGet|CallTicketFunctionAsync)\(\s*""(?<name>[a-z_]+)""")]
    private static partial Regex FunctionCall();

    [GeneratedRegex(@"create\s+(?:or\s+replace\s+)?(?:function|table)\s+public\.(?<name>[a-z_]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreatedObject();

    [GeneratedRegex(@"'(?<value>[a-z_]+)'")]
    private static partial Regex QuotedLiteral();

    [GeneratedRegex(@"\bFrom\(\s*""(?<name>[a-z_]+)""")]
    private static partial Regex TableRead();

    [GeneratedRegex(@"PostgresChangesBinding\([^,]+,\s*""public"",\s*""(?<name>[a-z_]+)""")]
    private static partial Regex StreamedTable();
}
