using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using AutoCrm.DevStack.Postgres;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Auth;

/// <summary>One in-process DevStack (throwaway cluster, seeded) on a fake clock, shared by the Auth tests.</summary>
public sealed class AuthStackFixture : IAsyncLifetime
{
    private DevStackServer? _server;

    /// <summary>Starts at the real time so seeded rows and real-time-signed keys stay plausible; tests only move it forward.</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public DevStackServer Server => _server ?? throw new InvalidOperationException("The DevStack is not running.");

    public HttpClient Http { get; private set; } = new();

    public async ValueTask InitializeAsync()
    {
        _server = await DevStackServer.StartAsync(new DevStackOptions { TimeProvider = Clock, JwtSecret = DevStackDefaults.JwtSecret, EnforceAuthRateLimits = false }, TestContext.Current.CancellationToken);
        Http = new HttpClient { BaseAddress = _server.Url };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts a second DevStack on the same database with an edited copy of config.toml (e.g. confirmations on,
    /// signups off). The caller disposes the server; <paramref name="directory"/> is deleted by the caller too.
    /// </summary>
    public async Task<(DevStackServer Server, DirectoryInfo Directory)> StartVariantAsync(Func<string, string> editConfig, bool enforceRateLimits = false, TimeProvider? clock = null)
    {
        var directory = Directory.CreateTempSubdirectory("autocrm-auth-");
        var source = Path.Combine(AppContext.BaseDirectory, "supabase");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory.FullName, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var config = Path.Combine(directory.FullName, "config.toml");
        await File.WriteAllTextAsync(config, editConfig(await File.ReadAllTextAsync(config, TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken);
        var server = await DevStackServer.StartAsync(
            new DevStackOptions
            {
                DatabaseUrl = Server.DatabaseUrl,
                SupabaseDirectory = directory.FullName,
                Seed = false,
                JwtSecret = DevStackDefaults.JwtSecret,
                TimeProvider = clock ?? Clock,
                EnforceAuthRateLimits = enforceRateLimits,
            },
            TestContext.Current.CancellationToken);
        return (server, directory);
    }

    /// <summary>Sends an Auth request to another server (a variant from <see cref="StartVariantAsync"/>).</summary>
    public static Task<HttpResponseMessage> SendToAsync(DevStackServer server, HttpMethod method, string path, JsonNode? body = null, string? bearer = null)
    {
        var http = new HttpClient { BaseAddress = server.Url };
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("apikey", server.AnonKey);
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return SendAndDisposeAsync(http, request);
    }

    private static async Task<HttpResponseMessage> SendAndDisposeAsync(HttpClient http, HttpRequestMessage request)
    {
        using (http)
        using (request)
        {
            var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
            return response;
        }
    }

    /// <summary>Sends an Auth request. <paramref name="apiKey"/> defaults to the anon key; <paramref name="bearer"/> to none.</summary>
    public Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        object? body = null,
        string? bearer = null,
        bool apiVersion2024 = false,
        string? apiKey = "anon")
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null)
        {
            request.Headers.Add("apikey", apiKey == "anon" ? Server.AnonKey : apiKey);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (apiVersion2024)
        {
            request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        }

        switch (body)
        {
            case null:
                break;
            case string raw:
                request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
                break;
            case byte[] bytes:
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                break;
            case JsonNode node:
                request.Content = new StringContent(node.ToJsonString(), Encoding.UTF8, "application/json");
                break;
            default:
                throw new ArgumentException("Unsupported body type", nameof(body));
        }

        return Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException("Not a JSON object: " + text);
    }

    public static string UniqueEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@auth.test";

    /// <summary>Signs up a new user (autoconfirm) and returns the session body.</summary>
    public async Task<JsonObject> SignUpAsync(string email, string password = "secret-password", JsonObject? data = null)
    {
        var body = new JsonObject { ["email"] = email, ["password"] = password };
        if (data is not null)
        {
            body["data"] = data;
        }

        using var response = await SendAsync(HttpMethod.Post, "/auth/v1/signup", body);
        var json = await ReadObjectAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        return json;
    }

    public async Task<JsonObject> SignInAsync(string email, string password = "secret-password")
    {
        using var response = await SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = password });
        var json = await ReadObjectAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        return json;
    }

    public Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new JsonObject { ["refresh_token"] = refreshToken });

    /// <summary>Runs a scalar query as the superuser (for checking what Auth stored).</summary>
    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionStrings.Normalize(Server.DatabaseUrl));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var result = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>Signs an HS256 JWT with <paramref name="secret"/> (default: the project secret) over the given payload.</summary>
    public static string SignJwt(JsonObject payload, string secret = DevStackDefaults.JwtSecret, string alg = "HS256")
    {
        var header = Base64Url(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = alg, ["typ"] = "JWT" }.ToJsonString()));
        var body = Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        if (alg == "none")
        {
            return header + "." + body + ".";
        }

        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + body));
        return header + "." + body + "." + Base64Url(signature);
    }

    public static JsonObject DecodePayload(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return (JsonObject)JsonNode.Parse(Convert.FromBase64String(part))!;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

[CollectionDefinition(Name)]
public sealed class AuthCollection : ICollectionFixture<AuthStackFixture>
{
    public const string Name = "Auth DevStack";
}
