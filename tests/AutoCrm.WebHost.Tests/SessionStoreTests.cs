using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.WebHost.Sessions;

namespace AutoCrm.WebHost.Tests;

/// <summary>The server-side session store: refreshes through the SDK when a token is due, and drops dead sessions.</summary>
public sealed class SessionStoreTests(WebHostFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_about_to_expire_is_refreshed_before_use()
    {
        var store = new CrmSessionStore(app.Backend, TimeProvider.System);
        var session = await SignInAsync("dave@customer.demo");
        var entry = await store.AddAsync(session with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(30) }, Ct);

        var token = await store.GetAccessTokenAsync(entry, Ct);

        // A refresh within the same second as the sign-in can mint a byte-identical access token
        // (same session, iat and exp), so the proof of a refresh is the rotated refresh token and the later expiry.
        Assert.NotEqual(session.RefreshToken, entry.Session.RefreshToken);
        Assert.True(entry.Session.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(5), $"expected a fresh expiry, got {entry.Session.ExpiresAt:O}");
        using var crm = app.Backend.Root.ForUser(token);
        Assert.Equal(entry.UserId, (await crm.Auth.GetUserAsync(Ct)).Id);
    }

    [Fact]
    public async Task A_revoked_session_is_dropped_and_reported_as_401()
    {
        var store = new CrmSessionStore(app.Backend, TimeProvider.System);
        var session = await SignInAsync("erin@customer.demo");
        var entry = await store.AddAsync(session with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(30) }, Ct);
        using (var owner = app.Backend.Root.ForUser(session.AccessToken))
        {
            await owner.Auth.SignOutAsync(SignOutScope.Local, Ct);
        }

        var error = await Assert.ThrowsAsync<CrmAuthException>(() => store.GetAccessTokenAsync(entry, Ct));

        Assert.Equal(401, error.Status);
        Assert.Null(store.Find(entry.Id));
    }

    private async Task<Session> SignInAsync(string email)
    {
        using var client = app.Backend.CreateSignInClient();
        return await client.Auth.SignInWithPasswordAsync(email, WebHostFixture.DemoPassword, Ct);
    }
}
