using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Rest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Rest;

[CollectionDefinition("rest")]
public sealed class RestCollection : ICollectionFixture<RestFixture>;

/// <summary>One REST server over a database holding the rt_* test schema, shared by the REST tests.</summary>
public sealed class RestFixture : IAsyncLifetime
{
    internal const string Secret = "super-secret-jwt-token-with-at-least-32-characters-long";

    private DevStackServer? server;

    public HttpClient Client { get; private set; } = null!;

    internal DevStackServer Server => server!;

    internal RestEnvironment Environment => server!.Services.GetRequiredService<RestEnvironment>();

    internal NpgsqlDataSource Admin => server!.Services.GetRequiredService<DatabaseConnections>().Admin;

    internal SchemaCache Cache => server!.Services.GetRequiredService<SchemaCache>();

    public async ValueTask InitializeAsync()
    {
        server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false, JwtSecret = Secret, EnforceAuthRateLimits = false });
        await using (var command = Admin.CreateCommand(RestSchema.Sql))
        {
            await command.ExecuteNonQueryAsync();
        }

        await Cache.ReloadAsync(CancellationToken.None);
        Client = new HttpClient { BaseAddress = new Uri(server.Url, "/rest/v1/") };
        Client.DefaultRequestHeaders.Add("apikey", server.AnonKey);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Signs an HS256 token with the demo secret.</summary>
    public static string Token(JsonObject claims)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(claims.ToJsonString(), new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)), SecurityAlgorithms.HmacSha256));
    }

    public static string ServiceToken => Token(new JsonObject { ["role"] = "service_role", ["exp"] = 4102444800 });

    public static string UserToken(Guid sub) => Token(new JsonObject { ["role"] = "authenticated", ["sub"] = sub.ToString(), ["email"] = "u@example.com", ["exp"] = 4102444800 });

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body = null, string? token = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = Admin.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
