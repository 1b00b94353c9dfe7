using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary><see cref="CrmClient.WithSession(ISessionStore)"/>: a server acting for many users keeps each session in its own
/// store; the SDK refreshes on demand, once per store however many clients use it, persists the rotated tokens, and treats
/// a cleared store as signed out.</summary>
public sealed class SessionStoreClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SessionJson(FakeTimeProvider time, string access, string refresh, TimeSpan lifetime) =>
        Json.Session(access, refresh, time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds(), (int)lifetime.TotalSeconds);

    private static CrmClient Root(ScriptedHandler handler, FakeTimeProvider time, ListLoggerFactory? logs = null) => new(new CrmClientOptions
    {
        Url = new Uri("http://crm.test"),
        ApiKey = Stub.ApiKey,
        TimeProvider = time,
        HttpMessageHandler = handler,
        MaxRetries = 0,
        AutoRefreshToken = false,
        LoggerFactory = logs,
    });

    private static Session Stored(FakeTimeProvider time, string access, string refresh, TimeSpan lifetime) =>
        new() { AccessToken = access, RefreshToken = refresh, ExpiresAt = time.GetUtcNow().Add(lifetime) };

    private static bool IsRefresh(HttpRequestMessage request) => request.RequestUri!.Query.Contains("grant_type=refresh_token", StringComparison.Ordinal);

    private static async Task<string> PresentedRefreshTokenAsync(HttpRequestMessage request)
    {
        var body = await request.Content!.ReadAsStringAsync();
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("refresh_token").GetString()!;
    }

    private static List<string> RefreshBodies(ScriptedHandler handler) =>
        [.. handler.Requests.Where(r => r.PathAndQuery.Contains("grant_type=refresh_token", StringComparison.Ordinal)).Select(r => r.Body!)];

    [Fact]
    public async Task Clients_sharing_a_store_refresh_a_due_session_once_and_save_the_rotated_tokens()
    {
        var time = Stub.FakeTime();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (request, _) =>
        {
            if (IsRefresh(request))
            {
                await release.Task;
                return ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)));
            }

            return ScriptedHandler.Json(200, "[]");
        });
        using var root = Root(handler, time);
        var store = new InMemorySessionStore(Stored(time, "jwt-1", "refresh-1", TimeSpan.FromSeconds(30)));

        using var first = root.WithSession(store);
        using var second = root.WithSession(store);
        Task[] calls =
        [
            first.Rest.From("tickets").ExecuteAsync(Ct),
            second.Rest.From("tickets").ExecuteAsync(Ct),
            first.Tickets.ListMessagesAsync(Guid.NewGuid(), Ct).ToListAsync(Ct),
        ];
        await handler.WaitForRequestAsync(1).WaitAsync(Patience, Ct);
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Patience, Ct);

        Assert.Equal(new[] { """{"refresh_token":"refresh-1"}""" }, RefreshBodies(handler));
        Assert.Equal("refresh-2", (await store.LoadAsync(Ct))!.RefreshToken);
        var reads = handler.Requests.Where(r => r.PathAndQuery.StartsWith("/rest/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, reads.Count);
        Assert.All(reads, r => Assert.Equal("Bearer jwt-2", r.Authorization));
    }

    [Fact]
    public async Task Clients_of_different_stores_refresh_each_session_with_its_own_token()
    {
        var time = Stub.FakeTime();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (request, _) =>
        {
            if (IsRefresh(request))
            {
                var user = (await PresentedRefreshTokenAsync(request))[^1];
                await release.Task;
                return ScriptedHandler.Json(200, SessionJson(time, $"jwt-{user}2", $"refresh-{user}2", TimeSpan.FromHours(1)));
            }

            return ScriptedHandler.Json(200, "[]");
        });
        using var root = Root(handler, time);
        var storeA = new InMemorySessionStore(Stored(time, "jwt-a1", "refresh-a", TimeSpan.FromSeconds(30)));
        var storeB = new InMemorySessionStore(Stored(time, "jwt-b1", "refresh-b", TimeSpan.FromSeconds(30)));
        using var userA = root.WithSession(storeA);
        using var userB = root.WithSession(storeB);

        Task[] calls = [userA.Rest.From("a").ExecuteAsync(Ct), userB.Rest.From("b").ExecuteAsync(Ct)];

        // Both refreshes are on the wire at once: a flight shared across stores would never send the second.
        await handler.WaitForRequestAsync(2).WaitAsync(Patience, Ct);
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Patience, Ct);

        Assert.Equal(new[] { """{"refresh_token":"refresh-a"}""", """{"refresh_token":"refresh-b"}""" }, RefreshBodies(handler).Order(StringComparer.Ordinal));
        Assert.Equal("refresh-a2", (await storeA.LoadAsync(Ct))!.RefreshToken);
        Assert.Equal("refresh-b2", (await storeB.LoadAsync(Ct))!.RefreshToken);
        Assert.Equal("Bearer jwt-a2", Assert.Single(handler.Requests, r => r.PathAndQuery.StartsWith("/rest/v1/a", StringComparison.Ordinal)).Authorization);
        Assert.Equal("Bearer jwt-b2", Assert.Single(handler.Requests, r => r.PathAndQuery.StartsWith("/rest/v1/b", StringComparison.Ordinal)).Authorization);
    }

    [Fact]
    public async Task A_client_holding_an_older_session_takes_the_rotated_one_from_the_store_instead_of_spending_its_token()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(IsRefresh(request)
            ? ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)))
            : ScriptedHandler.Json(200, "[]")));
        using var root = Root(handler, time);
        var store = new InMemorySessionStore(Stored(time, "jwt-1", "refresh-1", TimeSpan.FromHours(1)));
        using var longLived = root.WithSession(store);
        await longLived.Rest.From("tickets").ExecuteAsync(Ct); // reads the session while it is fresh

        time.Advance(TimeSpan.FromMinutes(59));
        using (var request = root.WithSession(store))
        {
            await request.Rest.From("tickets").ExecuteAsync(Ct); // due: refreshes and saves refresh-2
        }

        await longLived.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Equal(new[] { """{"refresh_token":"refresh-1"}""" }, RefreshBodies(handler));
        Assert.Equal("Bearer jwt-2", handler.Requests.Last().Authorization);
        Assert.Equal("jwt-2", (await longLived.Auth.GetSessionAsync(Ct))!.AccessToken);
    }

    [Fact]
    public async Task A_rejected_refresh_clears_the_store_and_ends_the_session_for_every_client_of_it()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(IsRefresh(request)
            ? ScriptedHandler.Json(400, """{"code":"refresh_token_not_found","message":"Invalid Refresh Token"}""")
            : ScriptedHandler.Json(200, "[]")));
        using var root = Root(handler, time);
        var store = new InMemorySessionStore(Stored(time, "jwt-1", "revoked", TimeSpan.FromHours(1)));
        using var other = root.WithSession(store);
        await other.Rest.From("tickets").ExecuteAsync(Ct); // holds the session in memory
        time.Advance(TimeSpan.FromMinutes(59));
        using var user = root.WithSession(store);

        var rejected = await Assert.ThrowsAsync<CrmAuthException>(() => user.Rest.From("tickets").ExecuteAsync(Ct));

        Assert.Equal("refresh_token_not_found", rejected.Code);
        Assert.Null(await store.LoadAsync(Ct));
        var ended = await Assert.ThrowsAsync<CrmAuthException>(() => other.Tickets.GetAsync(Guid.NewGuid(), cancellationToken: Ct));
        Assert.Equal("session_missing", ended.Code);
        Assert.Single(RefreshBodies(handler));
    }

    [Fact]
    public async Task Sign_out_refreshes_a_due_session_first_revokes_it_and_clears_the_store_for_every_client_of_it()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(
            IsRefresh(request) ? ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)))
            : request.RequestUri!.AbsolutePath.EndsWith("/logout", StringComparison.Ordinal) ? new HttpResponseMessage(System.Net.HttpStatusCode.NoContent)
            : ScriptedHandler.Json(200, "[]")));
        using var root = Root(handler, time);
        var store = new InMemorySessionStore(Stored(time, "jwt-1", "refresh-1", TimeSpan.FromHours(1)));
        using var other = root.WithSession(store);
        await other.Rest.From("tickets").ExecuteAsync(Ct);
        time.Advance(TimeSpan.FromMinutes(59) + TimeSpan.FromSeconds(30)); // 30 s left: the server would soon refuse jwt-1

        using (var user = root.WithSession(store))
        {
            await user.Auth.SignOutAsync(SignOutScope.Local, Ct);
        }

        var logout = Assert.Single(handler.Requests, r => r.PathAndQuery.StartsWith("/auth/v1/logout", StringComparison.Ordinal));
        Assert.Equal("/auth/v1/logout?scope=local", logout.PathAndQuery);
        Assert.Equal("Bearer jwt-2", logout.Authorization);
        Assert.Null(await store.LoadAsync(Ct));
        var ended = await Assert.ThrowsAsync<CrmAuthException>(() => other.Tickets.GetAsync(Guid.NewGuid(), cancellationToken: Ct));
        Assert.Equal("session_missing", ended.Code);
        Assert.Equal(new[] { """{"refresh_token":"refresh-1"}""" }, RefreshBodies(handler));
    }

    [Fact]
    public async Task A_store_that_throws_fails_the_refresh_for_its_callers_without_stalling_the_next_call()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(IsRefresh(request)
            ? ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)))
            : ScriptedHandler.Json(200, "[]")));
        using var root = Root(handler, time);
        using var user = root.WithSession(new UnwritableStore(Stored(time, "jwt-1", "refresh-1", TimeSpan.FromSeconds(30))));

        var failure = await Assert.ThrowsAsync<CrmException>(() => user.Rest.From("tickets").ExecuteAsync(Ct).WaitAsync(Patience, Ct));
        Assert.Equal("session_store_failed", failure.Code);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        await user.Rest.From("tickets").ExecuteAsync(Ct).WaitAsync(Patience, Ct);

        Assert.Equal("Bearer jwt-2", handler.Requests.Last().Authorization);
    }

    [Fact]
    public async Task No_token_reaches_the_log_through_sign_in_refresh_rejection_and_sign_out()
    {
        var time = Stub.FakeTime();
        var logs = new ListLoggerFactory();
        var refreshes = 0;
        var handler = new ScriptedHandler((request, _) =>
        {
            var path = request.RequestUri!.PathAndQuery;
            return Task.FromResult(
                path.Contains("grant_type=password", StringComparison.Ordinal) ? ScriptedHandler.Json(200, SessionJson(time, "jwt-secret-1", "refresh-secret-1", TimeSpan.FromHours(1)))
                : IsRefresh(request) && Interlocked.Increment(ref refreshes) == 1 ? ScriptedHandler.Json(200, SessionJson(time, "jwt-secret-2", "refresh-secret-2", TimeSpan.FromHours(1)))
                : IsRefresh(request) ? ScriptedHandler.Json(400, """{"code":"refresh_token_already_used","message":"Invalid Refresh Token: Already Used"}""")
                : path.StartsWith("/auth/v1/logout", StringComparison.Ordinal) ? new HttpResponseMessage(System.Net.HttpStatusCode.NoContent)
                : ScriptedHandler.Json(200, "[]"));
        });
        using var root = Root(handler, time, logs);
        var store = new InMemorySessionStore();
        using (var user = root.WithSession(store))
        {
            await user.Auth.SignInWithPasswordAsync("carol@customer.demo", "pw-secret", Ct);
            time.Advance(TimeSpan.FromMinutes(59));
            await user.Rest.From("tickets").ExecuteAsync(Ct);
            await user.Auth.SignOutAsync(SignOutScope.Local, Ct);
        }

        await store.SaveAsync(Stored(time, "jwt-secret-3", "refresh-secret-3", TimeSpan.FromSeconds(10)), Ct);
        using (var user = root.WithSession(store))
        {
            await Assert.ThrowsAsync<CrmAuthException>(() => user.Rest.From("tickets").ExecuteAsync(Ct));
        }

        Assert.Contains(logs.Entries, e => e.Message.Contains("refresh failed", StringComparison.Ordinal));
        Assert.All(logs.Entries, e => Assert.DoesNotContain("secret", e.Message + e.Exception, StringComparison.Ordinal));
    }

    /// <summary>A store whose writes fail with an exception the SDK does not know (a cache client's, say).</summary>
    private sealed class UnwritableStore(Session session) : ISessionStore
    {
        public ValueTask<Session?> LoadAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<Session?>(session);

        public ValueTask SaveAsync(Session session, CancellationToken cancellationToken = default) => throw new InvalidOperationException("The cache is read-only.");

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => default;
    }
}
