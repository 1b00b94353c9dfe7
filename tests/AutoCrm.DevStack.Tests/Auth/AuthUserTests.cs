using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthUserTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Get_user_returns_the_user_of_the_token()
    {
        var email = AuthStackFixture.UniqueEmail();
        var session = await stack.SignUpAsync(email);

        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: (string)session["access_token"]!);
        var user = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((string?)session["user"]!["id"], (string?)user["id"]);
        Assert.Equal(email, (string?)user["email"]);
        Assert.Single(user["identities"]!.AsArray());
    }

    [Fact]
    public async Task Put_user_merges_data_into_user_metadata_and_null_removes_a_key()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail(), data: new JsonObject { ["a"] = 1, ["b"] = "keep" });
        var token = (string)session["access_token"]!;

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["data"] = new JsonObject { ["a"] = null, ["c"] = new JsonObject { ["deep"] = true } } }, bearer: token);
        var user = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metadata = user["user_metadata"]!.AsObject();
        Assert.False(metadata.ContainsKey("a"));
        Assert.Equal("keep", (string?)metadata["b"]);
        Assert.True((bool?)metadata["c"]!["deep"]);
        Assert.True((bool?)metadata["email_verified"]);
    }

    [Fact]
    public async Task Put_user_changes_the_password_and_signs_out_the_other_sessions()
    {
        var email = AuthStackFixture.UniqueEmail();
        var first = await stack.SignUpAsync(email, "first-password");
        var other = await stack.SignInAsync(email, "first-password");

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["password"] = "second-password" }, bearer: (string)first["access_token"]!);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await stack.SignInAsync(email, "second-password");
        using var old = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = "first-password" });
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        using var otherSession = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: (string)other["access_token"]!);
        Assert.Equal(HttpStatusCode.Forbidden, otherSession.StatusCode);
        using var sameSession = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: (string)first["access_token"]!);
        Assert.Equal(HttpStatusCode.OK, sameSession.StatusCode);
    }

    [Fact]
    public async Task Put_user_with_the_same_password_is_422_same_password()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail(), "same-password");

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["password"] = "same-password" }, bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("same_password", (string?)json["code"]);
        Assert.Equal("New password should be different from the old password.", (string?)json["message"]);
    }

    [Fact]
    public async Task Put_user_with_a_weak_password_is_weak_password()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["password"] = "123" }, bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("weak_password", (string?)json["code"]);
    }

    [Fact]
    public async Task Put_user_changes_the_email_and_the_profile_follows()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var newEmail = AuthStackFixture.UniqueEmail("changed");

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["email"] = newEmail }, bearer: (string)session["access_token"]!);
        var user = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(newEmail, (string?)user["email"]);
        Assert.Equal(newEmail, (string?)user["identities"]![0]!["identity_data"]!["email"]);
        Assert.Equal(newEmail, await stack.ScalarAsync<string>("select email from public.profiles where id = $1", Guid.Parse((string)user["id"]!)));
        await stack.SignInAsync(newEmail);
    }

    [Fact]
    public async Task Put_user_with_a_taken_email_is_422_email_exists()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["email"] = "dave@customer.demo" }, bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("email_exists", (string?)json["code"]);
    }

    [Fact]
    public async Task Put_user_cannot_change_app_metadata()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());

        using var response = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["app_metadata"] = new JsonObject { ["role"] = "admin" } }, bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("not_admin", (string?)json["code"]);
        Assert.Equal("Updating app_metadata requires admin privileges", (string?)json["message"]);
    }

    [Fact]
    public async Task User_endpoints_refuse_a_deleted_user_and_a_removed_session()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var token = (string)session["access_token"]!;
        using (var logout = await stack.SendAsync(HttpMethod.Post, "/auth/v1/logout?scope=local", bearer: token))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        using var afterLogout = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: token, apiVersion2024: true);
        var sessionError = await AuthStackFixture.ReadObjectAsync(afterLogout);
        Assert.Equal(HttpStatusCode.Forbidden, afterLogout.StatusCode);
        Assert.Equal("session_not_found", (string?)sessionError["code"]);
        Assert.Equal("Session from session_id claim in JWT does not exist", (string?)sessionError["message"]);

        var second = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        using (var deleted = await stack.SendAsync(HttpMethod.Delete, $"/auth/v1/admin/users/{second["user"]!["id"]}", bearer: stack.Server.ServiceRoleKey))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var afterDelete = await stack.SendAsync(HttpMethod.Put, "/auth/v1/user", new JsonObject { ["data"] = new JsonObject() }, bearer: (string)second["access_token"]!, apiVersion2024: true);
        var userError = await AuthStackFixture.ReadObjectAsync(afterDelete);
        Assert.Equal(HttpStatusCode.Forbidden, afterDelete.StatusCode);
        Assert.Equal("user_not_found", (string?)userError["code"]);
        Assert.Equal("User from sub claim in JWT does not exist", (string?)userError["message"]);
    }
}
