using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthConcurrencyTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Concurrent_signups_of_one_email_create_one_user_and_refuse_the_rest()
    {
        var email = AuthStackFixture.UniqueEmail("race");
        var body = new JsonObject { ["email"] = email, ["password"] = "secret-password" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body.DeepClone(), apiVersion2024: true)));

        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
            {
                Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
                Assert.Equal("user_already_exists", (string?)(await AuthStackFixture.ReadObjectAsync(refused))["code"]);
            }

            Assert.Equal(1L, await stack.ScalarAsync<long>("select count(*) from auth.users where email = $1", email));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Refreshes_racing_a_global_logout_never_fail_with_a_500()
    {
        for (var round = 0; round < 5; round++)
        {
            var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail("logout-race"));
            var refreshToken = (string)session["refresh_token"]!;
            var accessToken = (string)session["access_token"]!;

            var refreshes = Enumerable.Range(0, 3).Select(_ => stack.RefreshAsync(refreshToken));
            var logout = stack.SendAsync(HttpMethod.Post, "/auth/v1/logout", bearer: accessToken);
            var responses = await Task.WhenAll(refreshes.Append(logout));

            foreach (var response in responses)
            {
                Assert.True((int)response.StatusCode < 500, $"{response.RequestMessage?.RequestUri} -> {(int)response.StatusCode}");
                response.Dispose();
            }

            var sessionId = Guid.Parse((string)AuthStackFixture.DecodePayload(accessToken)["session_id"]!);
            Assert.Equal(0L, await stack.ScalarAsync<long>("select count(*) from auth.sessions where id = $1", sessionId));
        }
    }
}
