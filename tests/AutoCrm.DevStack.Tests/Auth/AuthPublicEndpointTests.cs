using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthPublicEndpointTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Health_needs_no_api_key()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/health", apiKey: null);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GoTrue", (string?)json["name"]);
        Assert.Equal("GoTrue is a user registration and authentication API", (string?)json["description"]);
        Assert.StartsWith("v2.", (string?)json["version"]);
    }

    [Fact]
    public async Task Settings_reflect_the_local_config()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/settings");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool?)json["external"]!["email"]);
        Assert.False((bool?)json["external"]!["phone"]);
        Assert.False((bool?)json["external"]!["anonymous_users"]);
        Assert.False((bool?)json["disable_signup"]);
        Assert.True((bool?)json["mailer_autoconfirm"]);
        Assert.False((bool?)json["phone_autoconfirm"]);
        Assert.Equal(string.Empty, (string?)json["sms_provider"]);
        Assert.False((bool?)json["saml_enabled"]);
    }

    [Fact]
    public async Task Jwks_has_no_keys_with_hs256()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/.well-known/jwks.json");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(json["keys"]!.AsArray());
    }

    [Fact]
    public async Task Settings_without_an_api_key_are_refused_by_the_gateway()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/settings", apiKey: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Legacy_error_format_without_the_version_header()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "nobody@x.test", ["password"] = "whatever" });
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(["code", "error_code", "msg"], json.Select(p => p.Key).Order().ToArray());
        Assert.Equal(400, (int?)json["code"]);
        Assert.Equal("invalid_credentials", response.Headers.GetValues("x-sb-error-code").Single());
        Assert.False(response.Headers.Contains("X-Supabase-Api-Version"));
    }

    [Fact]
    public async Task New_error_format_with_the_version_header_echoes_it()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "nobody@x.test", ["password"] = "whatever" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(["code", "message"], json.Select(p => p.Key).Order().ToArray());
        Assert.Equal("invalid_credentials", (string?)json["code"]);
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
        Assert.Equal("invalid_credentials", response.Headers.GetValues("x-sb-error-code").Single());
    }

    [Fact]
    public async Task Signup_disabled_is_422_signup_disabled()
    {
        // A second stack on the same database (attached), with signups switched off in its config.toml.
        var directory = Directory.CreateTempSubdirectory("autocrm-auth-");
        try
        {
            var source = Path.Combine(AppContext.BaseDirectory, "supabase");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(directory.FullName, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }

            var config = Path.Combine(directory.FullName, "config.toml");
            File.WriteAllText(config, File.ReadAllText(config).Replace("enable_signup = true", "enable_signup = false", StringComparison.Ordinal));
            await using var closed = await DevStackServer.StartAsync(
                new DevStackOptions { DatabaseUrl = stack.Server.DatabaseUrl, SupabaseDirectory = directory.FullName, Seed = false },
                TestContext.Current.CancellationToken);
            using var http = new HttpClient { BaseAddress = closed.Url };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/signup")
            {
                Content = new StringContent(new JsonObject { ["email"] = AuthStackFixture.UniqueEmail(), ["password"] = "secret-password" }.ToJsonString()),
            };
            request.Headers.Add("apikey", closed.AnonKey);
            request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
            using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
            var json = await AuthStackFixture.ReadObjectAsync(response);
            using var settings = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/auth/v1/settings") { Headers = { { "apikey", closed.AnonKey } } }, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("signup_disabled", (string?)json["code"]);
            Assert.Equal("Signups not allowed for this instance", (string?)json["message"]);
            Assert.True((bool?)(await AuthStackFixture.ReadObjectAsync(settings))["disable_signup"]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
