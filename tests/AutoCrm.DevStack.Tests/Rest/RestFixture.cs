using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    private WebApplication? app;
    private NpgsqlDataSource? admin;
    private NpgsqlDataSource? authenticator;

    public HttpClient Client { get; private set; } = null!;

    internal RestEnvironment Environment { get; private set; } = null!;

    internal NpgsqlDataSource Admin => admin!;

    internal SchemaCache Cache => app!.Services.GetRequiredService<SchemaCache>();

    public async ValueTask InitializeAsync()
    {
        var cs = System.Environment.GetEnvironmentVariable("REST_TEST_DB") ?? "Host=127.0.0.1;Port=55433;Username=postgres;Password=postgres;Database=postgres";
        var database = "rest_" + Guid.NewGuid().ToString("N")[..8];
        await using (var root = NpgsqlDataSource.Create(cs))
        {
            await using var create = root.CreateCommand($"CREATE DATABASE {database}");
            await create.ExecuteNonQueryAsync();
        }

        var builderCs = new NpgsqlConnectionStringBuilder(cs) { Database = database, IncludeErrorDetail = true };
        admin = NpgsqlDataSource.Create(builderCs.ConnectionString);
        authenticator = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builderCs.ConnectionString) { Username = "authenticator", Password = "postgres", MaxAutoPrepare = 100 }.ConnectionString);
        var sql = RestSchema.Sql;
        await using (var command = admin.CreateCommand(sql))
        {
            await command.ExecuteNonQueryAsync();
        }

        Environment = new RestEnvironment
        {
            Authenticator = authenticator,
            Admin = admin,
            ValidateJwt = Validate,
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Environment);
        builder.Services.AddDevStackRest();
        app = builder.Build();
        app.MapDevStackRest();
        await app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/rest/v1/") };
        await Cache.ReloadAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (authenticator is not null)
        {
            await authenticator.DisposeAsync();
        }

        if (admin is not null)
        {
            await admin.DisposeAsync();
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

    private static RestJwtResult Validate(string token)
    {
        var handler = new JsonWebTokenHandler();
        var result = handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidateAudience = false,
            ValidateIssuer = false,
            ValidateLifetime = true,
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)),
        }).GetAwaiter().GetResult();
        if (!result.IsValid)
        {
            return result.Exception is SecurityTokenExpiredException
                ? RestJwtResult.Invalid("PGRST303", "JWT expired")
                : RestJwtResult.Invalid("PGRST301", "JWSError JWSInvalidSignature");
        }

        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.Split('.')[1]));
        return RestJwtResult.Valid(JsonNode.Parse(payload)!.AsObject());
    }
}
