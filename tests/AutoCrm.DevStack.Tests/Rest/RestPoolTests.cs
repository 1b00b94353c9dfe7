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
