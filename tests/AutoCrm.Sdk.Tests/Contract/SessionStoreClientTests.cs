using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary><see cref="CrmClient.WithSession(ISessionStore)"/>: a server acting for many users keeps each session in its own
/// store; the SDK refreshes on demand, once per store however many clients use it, and persists the rotated tokens.</summary>
public sealed class SessionStoreClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SessionJson(FakeTimeProvider time, string access, string refresh, TimeSpan lifetime) =>
        Json.Session(access, refresh, time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds(), (int)lifetime.TotalSeconds);

    [Fact]
    public async Task Clients_sharing_a_store_refresh_a_due_session_once_and_save_the_rotated_tokens()
    {
        var time = Stub.FakeTime();
        var refreshes = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (request, _) =>
        {
            if (request.RequestUri!.Query.Contains("grant_type=refresh_token", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref refreshes);
                await release.Task;
                return ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)));
            }

            return ScriptedHandler.Json(200, "[]");
        });
        using var root = new CrmClient(new CrmClientOptions
        {
            Url = new Uri("http://crm.test"), ApiKey = Stub.ApiKey, TimeProvider = time, HttpMessageHandler = handler, MaxRetries = 0, AutoRefreshToken = false,
        });
        var store = new InMemorySessionStore(new Session { AccessToken = "jwt-1", RefreshToken = "refresh-1", ExpiresAt = time.GetUtcNow().AddSeconds(30) });

        using var first = root.WithSession(store);
        using var second = root.WithSession(store);
        var calls = new[]
        {
            first.Rest.From("tickets").ExecuteAsync(Ct),
            second.Rest.From("tickets").ExecuteAsync(Ct),
            first.Tickets.ListMessagesAsync(Guid.NewGuid(), Ct).ToListAsync(Ct),
        };
        await handler.WaitForRequestAsync(1).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        release.SetResult();
        await Task.WhenAll(calls[0], calls[1], calls[2]);

        Assert.Equal(1, refreshes);
        Assert.Equal("refresh-2", (await store.LoadAsync(Ct))!.RefreshToken);
        Assert.All(handler.Requests.Where(r => r.PathAndQuery.StartsWith("/rest/", StringComparison.Ordinal)), r => Assert.Equal("Bearer jwt-2", r.Authorization));
    }

    [Fact]
    public async Task A_rejected_refresh_clears_the_store()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((_, _) => Task.FromResult(ScriptedHandler.Json(400, """{"code":"refresh_token_not_found","message":"Invalid Refresh Token"}""")));
        using var root = new CrmClient(new CrmClientOptions { Url = new Uri("http://crm.test"), ApiKey = Stub.ApiKey, TimeProvider = time, HttpMessageHandler = handler, MaxRetries = 0 });
        var store = new InMemorySessionStore(new Session { AccessToken = "jwt-1", RefreshToken = "revoked", ExpiresAt = time.GetUtcNow().AddSeconds(30) });
        using var user = root.WithSession(store);

        await Assert.ThrowsAsync<CrmAuthException>(() => user.Rest.From("tickets").ExecuteAsync(Ct));

        Assert.Null(await store.LoadAsync(Ct));
    }
}
