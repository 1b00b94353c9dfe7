using AutoCrm.Sdk.Tests.Infrastructure;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary>
/// The schema-version check on the wire: PostgREST's "function not found" for a function the SDK needs makes the SDK
/// ask <c>deployment_status()</c> once, and report <c>schema_version_mismatch</c> naming the minimum migration when the
/// database lacks it; a database that has it gets the original error back.
/// </summary>
public sealed class SchemaVersionCheckContractTests : IDisposable
{
    private const string FunctionNotFound =
        """{"code":"PGRST202","message":"Could not find the function public.queue_stats without parameters in the schema cache","details":"Searched for the function public.queue_stats without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.","hint":null}""";

    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public SchemaVersionCheckContractTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int StatusRequests => _stub.Requests.Count(r => r.Path == "/rest/v1/rpc/deployment_status");

    [Fact]
    public async Task Without_deployment_status_the_missing_function_is_reported_once_as_the_missing_migration()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 404, FunctionNotFound);
        _stub.Reply("GET", "/rest/v1/rpc/deployment_status", 404,
            """{"code":"PGRST202","message":"Could not find the function public.deployment_status without parameters in the schema cache","details":null,"hint":null}""");

        var first = await Assert.ThrowsAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));
        var second = await Assert.ThrowsAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));

        foreach (var error in new[] { first, second })
        {
            Assert.Equal("schema_version_mismatch", error.Code);
            Assert.Equal(404, error.Status);
            Assert.False(error.IsTransient);
            Assert.Equal(
                $"The database is older than this SDK expects: migration {CrmSchema.MinimumMigration} is not applied. Apply the project's migrations (supabase db push).",
                error.Message);
            Assert.StartsWith("404 PGRST202: Could not find the function public.queue_stats", error.Details, StringComparison.Ordinal);
        }

        Assert.Equal(1, StatusRequests);
    }

    [Fact]
    public async Task A_migration_history_without_the_minimum_is_a_mismatch()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 404, FunctionNotFound);
        _stub.Reply("GET", "/rest/v1/rpc/deployment_status", 200, """{"migrations":["20261126100000","20261126100100"],"tables":[]}""");

        var error = await Assert.ThrowsAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));

        Assert.Equal("schema_version_mismatch", error.Code);
        Assert.Contains(CrmSchema.MinimumMigration, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_with_the_minimum_migration_gets_the_original_error_and_is_not_asked_again()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 404, FunctionNotFound);
        _stub.Reply("GET", "/rest/v1/rpc/deployment_status", 200, $$"""{"migrations":["20261126100000","{{CrmSchema.MinimumVersion}}"]}""");

        var first = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));
        var second = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));

        Assert.All(new[] { first, second }, e => Assert.Equal("PGRST202", e.Code));
        Assert.Equal(1, StatusRequests);
    }

    [Fact]
    public async Task A_function_the_sdk_does_not_list_is_not_checked()
    {
        _stub.Reply("POST", "/rest/v1/rpc/my_own_function", 404, FunctionNotFound);

        var error = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Rest.Rpc("my_own_function").ExecuteAsync(Ct));

        Assert.Equal("PGRST202", error.Code);
        Assert.Equal(0, StatusRequests);
    }

    [Fact]
    public async Task A_failed_check_reports_the_original_error_and_checks_again_next_time()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 404, FunctionNotFound);
        _stub.Reply("GET", "/rest/v1/rpc/deployment_status", 503, """{"message":"unavailable"}""");

        var first = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));
        var second = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Queues.GetStatsAsync(Ct));

        Assert.All(new[] { first, second }, e => Assert.Equal("PGRST202", e.Code));
        Assert.Equal(2, StatusRequests);
    }
}
