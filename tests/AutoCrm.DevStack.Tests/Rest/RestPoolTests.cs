using AutoCrm.DevStack.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestPoolTests(RestFixture fx)
{
    [Fact]
    public void Rest_runs_on_the_one_auto_prepared_authenticator_pool_of_DatabaseConnections()
    {
        var connections = fx.Server.Services.GetRequiredService<DatabaseConnections>();
        Assert.Same(connections.Authenticator, fx.Environment.Authenticator);
        var settings = new NpgsqlConnectionStringBuilder(connections.Authenticator.ConnectionString);
        Assert.Equal("authenticator", settings.Username);
        Assert.True(settings.MaxAutoPrepare > 0);
    }

    [Fact]
    public async Task A_statement_run_twice_on_the_pool_is_prepared_on_its_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await fx.Environment.Authenticator.OpenConnectionAsync(ct);
        for (var i = 0; i < 3; i++)
        {
            await using var repeated = new NpgsqlCommand("select count(*) from pg_catalog.pg_class where relname = $1", connection);
            repeated.Parameters.Add(new NpgsqlParameter { Value = "rt_pool_probe" });
            await repeated.ExecuteScalarAsync(ct);
        }

        await using var check = new NpgsqlCommand("select count(*) from pg_prepared_statements where statement like '%rt_pool_probe%' or statement like '%relname = $1%'", connection);
        Assert.True((long)(await check.ExecuteScalarAsync(ct))! >= 1);
    }
}

[Collection("rest")]
public sealed class RestTransactionTests(RestFixture fx)
{
    [Fact]
    public async Task A_failing_bulk_insert_writes_nothing()
    {
        var owner = "atomic-" + Guid.NewGuid().ToString("N");
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_reviews",
            $"[{{\"book_id\":1,\"stars\":5,\"body\":\"{owner}\"}},{{\"book_id\":1,\"stars\":9,\"body\":\"{owner}\"}}]");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await fx.ScalarAsync($"select count(*) from rt_reviews where body = '{owner}'"));
    }

    [Fact]
    public async Task Request_settings_and_role_do_not_outlive_the_request_on_a_pooled_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++)
        {
            using var read = await fx.SendAsync(HttpMethod.Get, "rpc/rt_whoami", token: RestFixture.ServiceToken);
            Assert.Contains("\"read_only\" : \"on\"", await read.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            using var write = await fx.SendAsync(HttpMethod.Post, "rt_notes", $"{{\"owner\":\"pool-check\",\"body\":\"{Guid.NewGuid()}\"}}", token: RestFixture.ServiceToken);
            Assert.Equal(System.Net.HttpStatusCode.Created, write.StatusCode);
        }

        // The pool hands back its most recently used connections first.
        await using var connection = await fx.Environment.Authenticator.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "select current_user || '|' || coalesce(current_setting('request.jwt.claims', true), '') || '|' || current_setting('transaction_read_only') || '|' || current_setting('search_path')", connection);
        var state = (string)(await command.ExecuteScalarAsync(ct))!;
        Assert.StartsWith("authenticator||off|", state, StringComparison.Ordinal);
    }
}
