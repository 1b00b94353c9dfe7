using System.Text.Json;
using AutoCrm.DevStack.Gateway;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCrm.DevStack.Tests.Gateway;

public sealed class GatewayMiddlewareTests
{
    private static readonly ProjectKeys Keys = new(DevStackDefaults.AnonKey, DevStackDefaults.ServiceRoleKey, DevStackDefaults.PublishableKey, DevStackDefaults.SecretKey);

    private HttpContext? _seen;

    [Theory]
    [InlineData("/rest/v1/tickets")]
    [InlineData("/auth/v1/user")]
    [InlineData("/auth/v1/settings")]
    [InlineData("/realtime/v1/websocket")]
    [InlineData("/realtime/v1/api/broadcast")]
    public async Task A_request_without_an_apikey_gets_401_with_message_and_hint(string path)
    {
        var context = await SendAsync("GET", path);

        Assert.Null(_seen);
        Assert.Equal(401, context.Response.StatusCode);
        var body = Body(context);
        Assert.Equal("No API key found in request", body.GetProperty("message").GetString());
        Assert.Contains("apikey", body.GetProperty("hint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_apikey_gets_401_invalid_api_key()
    {
        var context = await SendAsync("GET", "/rest/v1/tickets", headers: new() { ["apikey"] = "not-a-key" });
        Assert.Null(_seen);
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("Invalid API key", Body(context).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_user_access_token_is_not_an_api_key()
    {
        var jwt = new AutoCrm.DevStack.Security.JwtService(DevStackDefaults.JwtSecret, TimeProvider.System);
        var userToken = jwt.Issue(new Dictionary<string, object?> { ["role"] = "authenticated", ["sub"] = "u" });
        var context = await SendAsync("GET", "/rest/v1/tickets", headers: new() { ["apikey"] = userToken });
        Assert.Equal(401, context.Response.StatusCode);
    }

    [Theory]
    [InlineData(DevStackDefaults.AnonKey)]
    [InlineData(DevStackDefaults.ServiceRoleKey)]
    public async Task Legacy_keys_pass_through_unchanged(string key)
    {
        await SendAsync("GET", "/rest/v1/tickets", headers: new() { ["apikey"] = key, ["Authorization"] = "Bearer user-token" });
        Assert.NotNull(_seen);
        Assert.Equal(key, _seen.Request.Headers["apikey"].ToString());
        Assert.Equal("Bearer user-token", _seen.Request.Headers.Authorization.ToString());
    }

    [Theory]
    [InlineData(DevStackDefaults.PublishableKey, DevStackDefaults.AnonKey, null)]
    [InlineData(DevStackDefaults.SecretKey, DevStackDefaults.ServiceRoleKey, null)]
    [InlineData(DevStackDefaults.SecretKey, DevStackDefaults.ServiceRoleKey, "Bearer " + DevStackDefaults.SecretKey)]
    public async Task Opaque_keys_become_the_jwt_they_stand_for(string key, string jwt, string? authorization)
    {
        var headers = new Dictionary<string, string> { ["apikey"] = key };
        if (authorization is not null)
        {
            headers["Authorization"] = authorization;
        }

        await SendAsync("POST", "/rest/v1/rpc/f", headers: headers);

        Assert.NotNull(_seen);
        Assert.Equal(jwt, _seen.Request.Headers["apikey"].ToString());
        Assert.Equal("Bearer " + jwt, _seen.Request.Headers.Authorization.ToString());
    }

    [Fact]
    public async Task An_opaque_key_keeps_a_user_authorization_header()
    {
        await SendAsync("GET", "/auth/v1/user", headers: new() { ["apikey"] = DevStackDefaults.PublishableKey, ["Authorization"] = "Bearer user-token" });
        Assert.Equal("Bearer user-token", _seen!.Request.Headers.Authorization.ToString());
    }

    [Fact]
    public async Task The_websocket_path_takes_the_apikey_from_the_query_string_and_maps_opaque_keys()
    {
        await SendAsync("GET", "/realtime/v1/websocket", query: $"?apikey={DevStackDefaults.PublishableKey}&vsn=1.0.0");
        Assert.NotNull(_seen);
        Assert.Equal(DevStackDefaults.AnonKey, _seen.Request.Query["apikey"].ToString());
        Assert.Equal("1.0.0", _seen.Request.Query["vsn"].ToString());
    }

    [Fact]
    public async Task The_query_string_apikey_is_only_for_the_websocket()
    {
        var context = await SendAsync("GET", "/rest/v1/tickets", query: $"?apikey={DevStackDefaults.AnonKey}");
        Assert.Equal(401, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("/auth/v1/health")]
    [InlineData("/auth/v1/verify")]
    [InlineData("/")]
    [InlineData("/metrics")]
    public async Task Open_paths_need_no_apikey(string path)
    {
        await SendAsync("GET", path);
        Assert.NotNull(_seen);
    }

    [Theory]
    [InlineData("/rest/v1/tickets")]
    [InlineData("/auth/v1/token")]
    [InlineData("/realtime/v1/api/broadcast")]
    public async Task Preflights_are_answered_for_a_local_origin_without_an_apikey(string path)
    {
        var context = await SendAsync("OPTIONS", path, headers: new()
        {
            ["Origin"] = "http://localhost:3000",
            ["Access-Control-Request-Method"] = "PATCH",
            ["Access-Control-Request-Headers"] = "apikey, authorization, content-type, prefer, x-client-info",
        });

        Assert.Null(_seen);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("http://localhost:3000", context.Response.Headers.AccessControlAllowOrigin.ToString());
        Assert.Equal("Origin", context.Response.Headers.Vary.ToString());
        Assert.Contains("PATCH", context.Response.Headers.AccessControlAllowMethods.ToString(), StringComparison.Ordinal);
        Assert.Equal("apikey, authorization, content-type, prefer, x-client-info", context.Response.Headers.AccessControlAllowHeaders.ToString());
        Assert.Equal("86400", context.Response.Headers.AccessControlMaxAge.ToString());
    }

    [Fact]
    public async Task Cross_origin_responses_expose_the_headers_clients_read_even_on_401()
    {
        var context = await SendAsync("GET", "/rest/v1/tickets", headers: new() { ["Origin"] = "http://localhost:3000" });
        Assert.Equal(401, context.Response.StatusCode);
        Assert.Equal("http://localhost:3000", context.Response.Headers.AccessControlAllowOrigin.ToString());
        var exposed = context.Response.Headers.AccessControlExposeHeaders.ToString();
        foreach (var header in new[] { "Content-Range", "Content-Location", "Location", "Range-Unit", "X-Total-Count", "x-sb-error-code" })
        {
            Assert.Contains(header, exposed, StringComparison.Ordinal);
        }
    }

    private async Task<HttpContext> SendAsync(string method, string path, string query = "", Dictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Response.Body = new MemoryStream();
        foreach (var (name, value) in headers ?? [])
        {
            context.Request.Headers[name] = value;
        }

        var middleware = new GatewayMiddleware(c => { _seen = c; return Task.CompletedTask; }, Keys, NullLogger<GatewayMiddleware>.Instance);
        await middleware.InvokeAsync(context);
        return context;
    }

    private static JsonElement Body(HttpContext context)
    {
        Assert.Equal("application/json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        return JsonDocument.Parse(context.Response.Body).RootElement.Clone();
    }
}
