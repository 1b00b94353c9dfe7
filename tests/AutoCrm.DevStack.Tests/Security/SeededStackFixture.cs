using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Security;

[CollectionDefinition("seeded-security")]
public sealed class SeededSecurityCollection : ICollectionFixture<SeededStackFixture>;

/// <summary>
/// A seeded DevStack (the AutoCRM schema and its demo users) for attacks written the way a client would make them:
/// users sign in through Auth and act through REST and Realtime with their own tokens.
/// </summary>
public sealed class SeededStackFixture : IAsyncLifetime
{
    public const string Ticket = "d0000000-0000-4000-8000-000000000001"; // Carol's, in the General queue

    private readonly Dictionary<string, string> tokens = new(StringComparer.Ordinal);
    private DevStackServer? server;

    public DevStackServer Server => server ?? throw new InvalidOperationException("not started");

    public HttpClient Http { get; private set; } = new();

    public async ValueTask InitializeAsync()
    {
        server = await DevStackServer.StartAsync(new DevStackOptions { EnforceAuthRateLimits = false }, TestContext.Current.CancellationToken);
        Http = new HttpClient { BaseAddress = server.Url };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>The access token of a seeded user (password sign-in through Auth, once per user).</summary>
    public async Task<string> TokenAsync(string email)
    {
        lock (tokens)
        {
            if (tokens.TryGetValue(email, out var cached))
            {
                return cached;
            }
        }

        using var response = await SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", null,
            new JsonObject { ["email"] = email, ["password"] = "autocrm-demo" }.ToJsonString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        var token = body["access_token"]!.GetValue<string>();
        lock (tokens)
        {
            tokens[email] = token;
        }

        return token;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? json = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("apikey", Server.AnonKey);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A REST call that must succeed; returns its JSON body.</summary>
    public async Task<JsonNode?> RestAsync(HttpMethod method, string path, string token, string? json = null, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(method, "/rest/v1/" + path, token, json, headers);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} -> {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
