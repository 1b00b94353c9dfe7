using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Tests.Auth;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests.Security;

/// <summary>
/// An attacker who knows Supabase's public demo secret, or who runs a web page the developer opens, against a DevStack
/// started with its defaults: the secret is the data directory's own, and foreign origins are refused.
/// </summary>
public sealed class ProjectKeyTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tokens_signed_with_the_public_demo_secret_are_refused_and_the_keys_follow_the_data_directory()
    {
        using var data = new TempDirectory();
        var db = await shared.CreateDatabaseAsync("keys", Ct);
        string anonKey;
        string serviceRoleKey;
        await using (var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, DataDirectory = data.Path }, Ct))
        {
            (anonKey, serviceRoleKey) = (server.AnonKey, server.ServiceRoleKey);
            Assert.NotEqual(DevStackDefaults.AnonKey, anonKey);
            Assert.NotEqual(DevStackDefaults.ServiceRoleKey, serviceRoleKey);
            using var http = new HttpClient { BaseAddress = server.Url };

            // The demo keys, opaque or JWT, are not keys of this project.
            foreach (var demoKey in new[] { DevStackDefaults.ServiceRoleKey, DevStackDefaults.SecretKey, DevStackDefaults.AnonKey, DevStackDefaults.PublishableKey })
            {
                using var response = await GetAsync(http, "/rest/v1/profiles?select=id", demoKey);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            // A service_role token minted with the demo secret, behind the real anon key, is not trusted either.
            var forged = AuthStackFixture.SignJwt(new JsonObject { ["role"] = "service_role", ["exp"] = DevStackDefaults.DemoKeyExpiry });
            using (var response = await GetAsync(http, "/rest/v1/profiles?select=id", anonKey, bearer: forged))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            using (var response = await GetAsync(http, "/auth/v1/admin/users", anonKey, bearer: forged))
            {
                // GoTrue's answer to a token it cannot verify: 403 bad_jwt.
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Contains("bad_jwt", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }

            // The printed service_role key works.
            using (var response = await GetAsync(http, "/rest/v1/profiles?select=id", serviceRoleKey))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var secretFile = Path.Combine(data.Path, "jwt-secret");
        Assert.True(Encoding.UTF8.GetByteCount(File.ReadAllText(secretFile)) >= 32);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secretFile));
        }

        // The same data directory gives the same keys on the next start; no data directory gives new ones each time.
        await using (var again = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, DataDirectory = data.Path, Seed = false }, Ct))
        {
            Assert.Equal(anonKey, again.AnonKey);
            Assert.Equal(serviceRoleKey, again.ServiceRoleKey);
        }

        await using (var elsewhere = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, Seed = false }, Ct))
        {
            Assert.NotEqual(anonKey, elsewhere.AnonKey);
        }
    }

    [Fact]
    public async Task The_demo_keys_are_used_only_when_asked_for()
    {
        var db = await shared.CreateDatabaseAsync("demokeys", Ct);
        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, Seed = false, JwtSecret = DevStackDefaults.JwtSecret }, Ct);
        Assert.Equal(DevStackDefaults.AnonKey, server.AnonKey);
        Assert.Equal(DevStackDefaults.ServiceRoleKey, server.ServiceRoleKey);
        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await GetAsync(http, "/rest/v1/profiles?select=id", DevStackDefaults.SecretKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_web_page_from_a_foreign_origin_can_neither_call_the_api_nor_open_a_socket()
    {
        var db = await shared.CreateDatabaseAsync("cors", Ct);
        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, Seed = false }, Ct);
        using var http = new HttpClient { BaseAddress = server.Url };
        const string evil = "https://evil.example";

        using (var preflight = await PreflightAsync(http, "/rest/v1/tickets", evil))
        {
            Assert.Equal(HttpStatusCode.Forbidden, preflight.StatusCode);
            Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        }

        using (var response = await GetAsync(http, "/rest/v1/profiles?select=id", server.ServiceRoleKey, origin: evil))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // Browsers do not apply CORS to websockets; the origin check does.
        using (var socket = new ClientWebSocket())
        {
            socket.Options.SetRequestHeader("Origin", evil);
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(
                new Uri($"ws://{server.Url.Authority}/realtime/v1/websocket?apikey={server.AnonKey}&vsn=1.0.0"), Ct));
            Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        }

        // A page on the developer's own machine is answered with its origin (not *).
        using (var preflight = await PreflightAsync(http, "/rest/v1/tickets", "http://localhost:5173"))
        {
            Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
            Assert.Equal("http://localhost:5173", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        using (var socket = new ClientWebSocket())
        {
            socket.Options.SetRequestHeader("Origin", "http://127.0.0.1:3000");
            await socket.ConnectAsync(new Uri($"ws://{server.Url.Authority}/realtime/v1/websocket?apikey={server.AnonKey}&vsn=1.0.0"), Ct);
            Assert.Equal(WebSocketState.Open, socket.State);
        }
    }

    [Fact]
    public async Task The_allowed_origins_are_configurable()
    {
        var db = await shared.CreateDatabaseAsync("corscfg", Ct);
        await using var server = await DevStackServer.StartAsync(
            new DevStackOptions { DatabaseUrl = db, Seed = false, CorsOrigins = ["https://app.example.com", "http://10.0.0.5:*"] }, Ct);
        using var http = new HttpClient { BaseAddress = server.Url };
        foreach (var (origin, allowed) in new[]
        {
            ("https://app.example.com", true),
            ("http://10.0.0.5:8080", true),
            ("http://app.example.com", false),
            ("https://app.example.com.evil.example", false),
            ("http://localhost:3000", false),
            ("null", false),
        })
        {
            using var preflight = await PreflightAsync(http, "/auth/v1/token", origin);
            Assert.True(allowed == (preflight.StatusCode == HttpStatusCode.OK), $"{origin}: {preflight.StatusCode}");
        }
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string apiKey, string? bearer = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("apikey", apiKey);
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await http.SendAsync(request, Ct);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient http, string path, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "apikey, authorization, content-type");
        return await http.SendAsync(request, Ct);
    }
}
