using System.Net;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.WebHost.Sessions;

namespace AutoCrm.WebHost.Tests;

/// <summary>The server-side session store: each browser session is an SDK session store (<c>crm.WithSession(entry.Store)</c>),
/// refreshed through the SDK once when a token is due, however many requests arrive, and dropped when it ends.</summary>
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

    [Fact]
    public async Task Concurrent_requests_of_one_user_with_a_due_token_refresh_it_once_and_keep_the_rotated_token()
    {
        var (browser, entry) = await app.SignInWithEntryAsync("dave@customer.demo", Ct);
        using var disposeBrowser = browser;
        var original = entry.Session;
        await entry.Store.SaveAsync(original with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(30) }, Ct);

        var pages = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => browser.GetAsync("/tickets", Ct)));

        Assert.All(pages, page => Assert.Equal(HttpStatusCode.OK, page.StatusCode));
        Array.ForEach(pages, page => page.Dispose());
        Assert.Single(app.RefreshTokensPresented, token => token == original.RefreshToken);
        Assert.NotEqual(original.RefreshToken, entry.Session.RefreshToken);
        Assert.DoesNotContain(entry.Session.RefreshToken, app.RefreshTokensPresented);
        Assert.Same(entry, app.Sessions.Find(entry.Id));
    }

    [Fact]
    public async Task Two_users_refreshing_together_each_keep_their_own_tokens()
    {
        var (carolBrowser, carol) = await app.SignInWithEntryAsync("carol@customer.demo", Ct);
        var (aliceBrowser, alice) = await app.SignInWithEntryAsync("agent.alice@autocrm.demo", Ct);
        using var disposeCarol = carolBrowser;
        using var disposeAlice = aliceBrowser;
        var carolBefore = carol.Session;
        var aliceBefore = alice.Session;
        await carol.Store.SaveAsync(carolBefore with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(30) }, Ct);
        await alice.Store.SaveAsync(aliceBefore with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(30) }, Ct);

        var pages = await Task.WhenAll(carolBrowser.GetAsync("/tickets", Ct), aliceBrowser.GetAsync("/agent", Ct), carolBrowser.GetAsync("/tickets", Ct), aliceBrowser.GetAsync("/agent", Ct));

        Assert.All(pages, page => Assert.Equal(HttpStatusCode.OK, page.StatusCode));
        Array.ForEach(pages, page => page.Dispose());
        Assert.Single(app.RefreshTokensPresented, token => token == carolBefore.RefreshToken);
        Assert.Single(app.RefreshTokensPresented, token => token == aliceBefore.RefreshToken);
        Assert.NotEqual(carol.Session.RefreshToken, alice.Session.RefreshToken);
        foreach (var entry in new[] { carol, alice })
        {
            using var crm = app.Backend.Root.ForUser(entry.Session.AccessToken);
            Assert.Equal(entry.UserId, (await crm.Auth.GetUserAsync(Ct)).Id);
        }
    }

    [Fact]
    public async Task Signing_out_clears_the_entry_and_revokes_its_refresh_token_on_the_server()
    {
        var (browser, entry) = await app.SignInWithEntryAsync("erin@customer.demo", Ct);
        using var disposeBrowser = browser;
        var session = entry.Session;

        using var signOut = await WebHostFixture.PostFormAsync(browser, "/signout", [], Ct, formPage: "/tickets");

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Null(await entry.Store.LoadAsync(Ct));
        Assert.Null(app.Sessions.Find(entry.Id));
        using var replay = app.Backend.Root.WithSession(session);
        await Assert.ThrowsAsync<CrmAuthException>(() => replay.Auth.RefreshSessionAsync(Ct));
    }

    private async Task<Session> SignInAsync(string email)
    {
        using var client = app.Backend.CreateSignInClient();
        return await client.Auth.SignInWithPasswordAsync(email, WebHostFixture.DemoPassword, Ct);
    }
}
