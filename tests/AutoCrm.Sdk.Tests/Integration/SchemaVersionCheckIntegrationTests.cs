using System.Collections.Concurrent;
using AutoCrm.DevStack;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// A DevStack whose database stopped at an old release (the queue functions and everything after them are not
/// applied): the SDK reports the missing migration by name, asking the database once, instead of PostgREST's
/// "function not found".
/// </summary>
public sealed class SchemaVersionCheckIntegrationTests
{
    [Fact]
    public async Task A_database_older_than_the_sdk_is_reported_once_naming_the_missing_migration()
    {
        var ct = TestContext.Current.CancellationToken;
        var supabase = Directory.CreateTempSubdirectory("autocrm-old-schema-");
        try
        {
            var source = Path.Combine(RepositoryDirectory(), "supabase");
            File.Copy(Path.Combine(source, "config.toml"), Path.Combine(supabase.FullName, "config.toml"));
            var migrations = Directory.CreateDirectory(Path.Combine(supabase.FullName, "migrations"));
            foreach (var file in Directory.GetFiles(Path.Combine(source, "migrations"), "*.sql")
                         .Where(f => string.CompareOrdinal(Path.GetFileName(f), "20261126100200_queue_functions.sql") < 0))
            {
                File.Copy(file, Path.Combine(migrations.FullName, Path.GetFileName(file)));
            }

            await using var older = await DevStackServer.StartAsync(new DevStackOptions { SupabaseDirectory = supabase.FullName, Seed = false }, ct);
            var paths = new ConcurrentQueue<string>();
            using var crm = new CrmClient(new CrmClientOptions
            {
                Url = older.Url,
                ApiKey = older.ServiceRoleKey,
                HttpMessageHandler = new RecordingHandler(paths) { InnerHandler = new HttpClientHandler() },
            });

            var first = await Assert.ThrowsAsync<CrmException>(() => crm.Queues.GetStatsAsync(ct));
            var second = await Assert.ThrowsAsync<CrmException>(() => crm.Queues.ClaimNextAsync(cancellationToken: ct));

            foreach (var error in new[] { first, second })
            {
                Assert.Equal("schema_version_mismatch", error.Code);
                Assert.False(error.IsTransient);
                Assert.Contains(CrmSchema.MinimumMigration, error.Message, StringComparison.Ordinal);
                Assert.Contains("PGRST202", error.Details, StringComparison.Ordinal);
            }

            Assert.Single(paths, p => p.Contains("rpc/deployment_status", StringComparison.Ordinal));
        }
        finally
        {
            supabase.Delete(recursive: true);
        }
    }

    private static string RepositoryDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "supabase", "migrations")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("supabase/ was not found above the test assembly.");
    }

    private sealed class RecordingHandler(ConcurrentQueue<string> paths) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            paths.Enqueue(request.RequestUri!.AbsolutePath);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
