using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthAdminTests(AuthStackFixture stack)
{
    private Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, object? body = null) =>
        stack.SendAsync(method, "/auth/v1/admin" + path, body, bearer: stack.Server.ServiceRoleKey, apiVersion2024: true, apiKey: stack.Server.ServiceRoleKey);

    private async Task<JsonObject> CreateAsync(JsonObject body)
    {
        using var response = await AdminAsync(HttpMethod.Post, "/users", body);
        var json = await AuthStackFixture.ReadObjectAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    [Fact]
    public async Task Create_returns_200_and_the_user_with_its_email_identity()
    {
        var email = AuthStackFixture.UniqueEmail();
        var user = await CreateAsync(new JsonObject
        {
            ["email"] = email,
            ["password"] = "secret-password",
            ["email_confirm"] = true,
            ["user_metadata"] = new JsonObject { ["display_name"] = "Zed" },
            ["app_metadata"] = new JsonObject { ["plan"] = "pro" },
        });

        Assert.Equal(email, (string?)user["email"]);
        Assert.NotNull(user["email_confirmed_at"]);
        Assert.Equal("Zed", (string?)user["user_metadata"]!["display_name"]);
        Assert.Equal("pro", (string?)user["app_metadata"]!["plan"]);
        Assert.Equal("email", (string?)user["app_metadata"]!["provider"]);
        Assert.Equal("email", (string?)user["identities"]![0]!["provider"]);
        await stack.SignInAsync(email);
    }

    [Fact]
    public async Task Create_with_a_custom_id_and_role_uses_them()
    {
        var id = Guid.NewGuid();
        var user = await CreateAsync(new JsonObject { ["email"] = AuthStackFixture.UniqueEmail(), ["id"] = id.ToString(), ["role"] = "service_role" });

        Assert.Equal(id.ToString(), (string?)user["id"]);
        Assert.Equal("service_role", (string?)user["role"]);
    }

    [Fact]
    public async Task Create_of_an_existing_email_is_422_email_exists()
    {
        using var response = await AdminAsync(HttpMethod.Post, "/users", new JsonObject { ["email"] = "Carol@Customer.demo" });
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("email_exists", (string?)json["code"]);
        Assert.Equal("A user with this email address has already been registered", (string?)json["message"]);
    }

    [Theory]
    [InlineData("{}", 400, "validation_failed")]
    [InlineData("""{"email":"bad"}""", 400, "validation_failed")]
    [InlineData("""{"email":"ok@ok.test","id":"nope"}""", 400, "validation_failed")]
    [InlineData("""{"email":"ok@ok.test","ban_duration":"forever"}""", 400, "validation_failed")]
    [InlineData("""{"email":"ok@ok.test","password":"x","password_hash":"y"}""", 400, "validation_failed")]
    [InlineData("""{"email":"ok@ok.test","email_confirm":"yes"}""", 400, "bad_json")]
    [InlineData("not json", 400, "bad_json")]
    public async Task Invalid_creates_are_refused(string body, int status, string code)
    {
        using var response = await AdminAsync(HttpMethod.Post, "/users", body);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, (string?)json["code"]);
    }

    [Fact]
    public async Task List_pages_with_total_count_and_link_headers_page_first()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(new JsonObject { ["email"] = AuthStackFixture.UniqueEmail("list") });
        }

        var total = await stack.ScalarAsync<long>("select count(*) from auth.users where aud = 'authenticated'");
        using var response = await AdminAsync(HttpMethod.Get, "/users?page=1&per_page=2");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, json["users"]!.AsArray().Count);
        Assert.Equal("authenticated", (string?)json["aud"]);
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-Total-Count").Single());
        var last = (total + 1) / 2;
        Assert.Equal(
            $"</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page={last}&per_page=2>; rel=\"last\"",
            response.Headers.GetValues("Link").Single());
    }

    [Fact]
    public async Task List_last_page_has_no_next_link_and_defaults_to_50_per_page()
    {
        using var response = await AdminAsync(HttpMethod.Get, "/users");
        var json = await AuthStackFixture.ReadObjectAsync(response);
        var total = long.Parse(response.Headers.GetValues("X-Total-Count").Single(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Math.Min(total, 50), json["users"]!.AsArray().Count);
        if (total <= 50)
        {
            Assert.Equal("</admin/users?page=1&per_page=50>; rel=\"last\"", response.Headers.GetValues("Link").Single());
        }
    }

    [Fact]
    public async Task List_with_bad_paging_is_validation_failed()
    {
        using var response = await AdminAsync(HttpMethod.Get, "/users?page=abc");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", (string?)json["code"]);
    }

    [Fact]
    public async Task Get_update_and_delete_a_user()
    {
        var created = await CreateAsync(new JsonObject { ["email"] = AuthStackFixture.UniqueEmail(), ["user_metadata"] = new JsonObject { ["a"] = 1 } });
        var id = (string)created["id"]!;

        using (var get = await AdminAsync(HttpMethod.Get, "/users/" + id))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(id, (string?)(await AuthStackFixture.ReadObjectAsync(get))["id"]);
        }

        var newEmail = AuthStackFixture.UniqueEmail("renamed");
        using (var put = await AdminAsync(HttpMethod.Put, "/users/" + id, new JsonObject { ["email"] = newEmail, ["email_confirm"] = true, ["password"] = "new-password", ["user_metadata"] = new JsonObject { ["b"] = 2 }, ["app_metadata"] = new JsonObject { ["roles"] = new JsonArray("agent") } }))
        {
            var updated = await AuthStackFixture.ReadObjectAsync(put);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal(newEmail, (string?)updated["email"]);
            Assert.Equal(1, (int?)updated["user_metadata"]!["a"]);
            Assert.Equal(2, (int?)updated["user_metadata"]!["b"]);
            Assert.Equal("agent", (string?)updated["app_metadata"]!["roles"]![0]);
        }

        await stack.SignInAsync(newEmail, "new-password");

        using (var delete = await AdminAsync(HttpMethod.Delete, "/users/" + id))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Equal("{}", (await AuthStackFixture.ReadObjectAsync(delete)).ToJsonString());
        }

        using var gone = await AdminAsync(HttpMethod.Get, "/users/" + id);
        var error = await AuthStackFixture.ReadObjectAsync(gone);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("user_not_found", (string?)error["code"]);
        Assert.Equal("User not found", (string?)error["message"]);
    }

    [Fact]
    public async Task Soft_delete_keeps_the_row_with_deleted_at()
    {
        var created = await CreateAsync(new JsonObject { ["email"] = AuthStackFixture.UniqueEmail() });
        var id = (string)created["id"]!;

        using var delete = await AdminAsync(HttpMethod.Delete, "/users/" + id, new JsonObject { ["should_soft_delete"] = true });
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);

        using var get = await AdminAsync(HttpMethod.Get, "/users/" + id);
        var user = await AuthStackFixture.ReadObjectAsync(get);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.NotNull(user["deleted_at"]);
        Assert.Equal(string.Empty, (string?)user["email"]);
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("123")]
    public async Task Non_uuid_user_id_is_404_validation_failed(string id)
    {
        using var response = await AdminAsync(HttpMethod.Get, "/users/" + id);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("validation_failed", (string?)json["code"]);
    }

    [Fact]
    public async Task Admin_without_a_bearer_is_401_no_authorization()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("no_authorization", (string?)json["code"]);
    }

    [Fact]
    public async Task Admin_with_the_anon_key_or_a_user_token_is_403_not_admin()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        foreach (var bearer in new[] { stack.Server.AnonKey, (string)session["access_token"]! })
        {
            using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/admin/users", new JsonObject { ["email"] = AuthStackFixture.UniqueEmail() }, bearer: bearer, apiVersion2024: true);
            var json = await AuthStackFixture.ReadObjectAsync(response);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("not_admin", (string?)json["code"]);
            Assert.Equal("User not allowed", (string?)json["message"]);
        }
    }

    [Fact]
    public async Task Admin_with_an_expired_service_role_token_is_403_bad_jwt()
    {
        var expired = AuthStackFixture.SignJwt(new JsonObject { ["role"] = "service_role", ["exp"] = stack.Clock.GetUtcNow().ToUnixTimeSeconds() - 60 });

        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", bearer: expired, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("bad_jwt", (string?)json["code"]);
    }
}
