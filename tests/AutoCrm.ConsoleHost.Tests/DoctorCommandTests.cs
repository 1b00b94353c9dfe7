using System.Text.Json;
using AutoCrm.ConsoleHost.Doctor;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using Npgsql;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>
/// <c>autocrm doctor</c> against real DevStacks: a fresh one passes; a missing migration, a table without row-level
/// security and a wrong key each fail, naming the problem, with a non-zero exit code.
/// </summary>
public sealed class DoctorCommandTests(DevStackFixture stack)
{
    private static readonly string[] CheckNames =
        ["key", "api", "migrations", "functions", "row-level-security", "anon-access", "realtime-publication", "pg_cron", "realtime"];

    [Fact]
    public async Task A_fresh_devstack_passes_every_check()
    {
        var result = await stack.Cli().RunAsync("doctor", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.Json.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(CheckNames, result.Json.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.All(result.Json.GetProperty("checks").EnumerateArray(), c => Assert.Equal("passed", c.GetProperty("outcome").GetString()));
        // The doctor names the newest migration of the release (the SDK's minimum may be older: later migrations the
        // SDK does not call into do not move it).
        Assert.Contains(DeploymentDoctor.KnownMigrations[^1], result.Output, StringComparison.Ordinal);
        Assert.Contains(CrmSchema.MinimumMigration, DeploymentDoctor.KnownMigrations);
    }

    [Fact]
    public async Task A_table_without_row_level_security_fails_naming_the_table()
    {
        // The probe table: anyone may read it anyway, so turning its row-level security off changes nothing else.
        await ExecuteAsync(stack.Server.DatabaseUrl, "alter table public.deployment_probes disable row level security");
        try
        {
            var result = await stack.Cli().RunAsync("doctor");

            Assert.Equal(1, result.ExitCode);
            Assert.Matches(@"FAIL row-level-security +off for public\.deployment_probes", result.Text);
            Assert.Contains("1 check(s) failed.", result.Text, StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync(stack.Server.DatabaseUrl, "alter table public.deployment_probes enable row level security");
        }
    }

    [Fact]
    public async Task A_key_of_another_project_fails_as_refused()
    {
        var otherProject = JwtSignedWith("another-project-secret-that-is-at-least-32-characters", "anon");

        var result = await stack.Cli().RunAsync("doctor", "--key", otherProject, "--json");

        Assert.Equal(1, result.ExitCode);
        var api = result.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "api");
        Assert.Equal("failed", api.GetProperty("outcome").GetString());
        Assert.Contains("refused the key", api.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("anon key", api.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_role_key_fails_the_key_check()
    {
        var result = await stack.Cli().RunAsync("doctor", "--key", stack.Server.ServiceRoleKey);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"FAIL key +this is the service_role key", result.Text);
        Assert.Matches(@"skip anon-access +needs the anon key", result.Text);
    }

    [Fact]
    public async Task A_missing_migration_fails_naming_it()
    {
        var supabase = TestPaths.NewDirectory("supabase-");
        var source = RepositorySupabaseDirectory();
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(supabase, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var newest = Directory.GetFiles(Path.Combine(supabase, "migrations"), "*.sql").Order(StringComparer.Ordinal).Last();
        File.Delete(newest);
        await using var older = await DevStackServer.StartAsync(new DevStackOptions { SupabaseDirectory = supabase }, TestContext.Current.CancellationToken);

        var result = await new Cli(null).RunAsync("doctor", "--url", older.Url.ToString(), "--key", older.AnonKey);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"FAIL migrations +", result.Text);
        Assert.Contains(Path.GetFileNameWithoutExtension(newest), result.Text.ReplaceLineEndings(string.Empty), StringComparison.Ordinal);
        Assert.Contains("supabase db push", result.Text.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    private static async Task ExecuteAsync(string databaseUrl, string sql)
    {
        var uri = new Uri(databaseUrl);
        var user = uri.UserInfo.Split(':');
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = user[0],
            Password = user[1],
            Database = uri.AbsolutePath.Trim('/'),
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private static string JwtSignedWith(string secret, string role)
    {
        static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { iss = "supabase", role, exp = 4102444800 }));
        using var hmac = new System.Security.Cryptography.HMACSHA256(System.Text.Encoding.UTF8.GetBytes(secret));
        var signature = Base64Url(hmac.ComputeHash(System.Text.Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string RepositorySupabaseDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "supabase", "migrations")))
            {
                return Path.Combine(dir.FullName, "supabase");
            }
        }

        throw new DirectoryNotFoundException("supabase/ was not found above the test assembly.");
    }
}
