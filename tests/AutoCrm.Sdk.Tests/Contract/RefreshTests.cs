using System.Net;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class RefreshTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CrmClient Client(ScriptedHandler handler, FakeTimeProvider time) => new(new CrmClientOptions
    {
        Url = new Uri("http://crm.test"),
        ApiKey = Stub.ApiKey,
        TimeProvider = time,
        HttpMessageHandler = handler,
        MaxRetries = 0,
    });

    private static string SessionJson(FakeTimeProvider time, string access, string refresh, TimeSpan lifetime) =>
        Json.Session(access, refresh, time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds(), (int)lifetime.TotalSeconds);

    private static Task<AuthStateChange> Next(CrmClient crm, AuthChangeEvent kind)
    {
        var seen = new TaskCompletionSource<AuthStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        crm.Auth.StateChanges.Subscribe(c =>
        {
            if (c.Event == kind)
            {
                seen.TrySetResult(c);
            }
        });
        return seen.Task.WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task Session_is_refreshed_ahead_of_expiry_on_the_TimeProvider()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, n) => Task.FromResult(
            request.RequestUri!.Query.Contains("grant_type=password", StringComparison.Ordinal)
                ? ScriptedHandler.Json(200, SessionJson(time, "jwt-1", "refresh-1", TimeSpan.FromHours(1)))
                : ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)))));
        using var crm = Client(handler, time);
        await crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct);
        var refreshed = Next(crm, AuthChangeEvent.TokenRefreshed);

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(91));
        Assert.Equal("jwt-1", (await crm.Auth.GetSessionAsync(Ct))!.AccessToken);
        Assert.Equal(1, handler.Count);

        time.Advance(TimeSpan.FromSeconds(1));
        var change = await refreshed;

        Assert.Equal("jwt-2", change.Session!.AccessToken);
        Assert.Equal(2, handler.Count);
        var refresh = handler.Requests.Last();
        Assert.Equal("/auth/v1/token?grant_type=refresh_token", refresh.PathAndQuery);
        Assert.Equal("""{"refresh_token":"refresh-1"}""", refresh.Body);
        Assert.Equal("jwt-2", (await crm.Auth.GetSessionAsync(Ct))!.AccessToken);
    }

    [Fact]
    public async Task Fifty_concurrent_callers_share_exactly_one_refresh()
    {
        var time = Stub.FakeTime();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(async (request, n) =>
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/token", StringComparison.Ordinal))
            {
                await gate.Task;
                return ScriptedHandler.Json(200, SessionJson(time, "jwt-2", "refresh-2", TimeSpan.FromHours(1)));
            }

            return ScriptedHandler.Json(200, "[]");
        });
        using var root = Client(handler, time);
        var expiring = new Session { AccessToken = "jwt-1", RefreshToken = "refresh-1", ExpiresAt = time.GetUtcNow().AddSeconds(30) };
        var crm = root.WithSession(expiring);

        var calls = Enumerable.Range(0, 50).Select(_ => Task.Run(() => crm.Rest.From("tickets").ExecuteAsync(Ct), Ct)).ToArray();
        await handler.WaitForRequestAsync(1).WaitAsync(Patience, Ct);
        gate.SetResult();
        await Task.WhenAll(calls).WaitAsync(Patience, Ct);

        var requests = handler.Requests.ToList();
        Assert.Single(requests, r => r.PathAndQuery.StartsWith("/auth/v1/token", StringComparison.Ordinal));
        var reads = requests.Where(r => r.PathAndQuery.StartsWith("/rest/", StringComparison.Ordinal)).ToList();
        Assert.Equal(50, reads.Count);
        Assert.All(reads, r => Assert.Equal("Bearer jwt-2", r.Authorization));
    }

    [Fact]
    public async Task Rejected_refresh_signs_out_with_the_error_and_the_next_call_throws()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, n) => Task.FromResult(
            request.RequestUri!.Query.Contains("grant_type=password", StringComparison.Ordinal)
                ? ScriptedHandler.Json(200, SessionJson(time, "jwt-1", "refresh-1", TimeSpan.FromHours(1)))
                : ScriptedHandler.Json(400, """{"code":"refresh_token_not_found","message":"Invalid Refresh Token: Refresh Token Not Found"}""")));
        using var crm = Client(handler, time);
        await crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct);
        var signedOut = Next(crm, AuthChangeEvent.SignedOut);

        time.Advance(TimeSpan.FromHours(1));
        var change = await signedOut;

        Assert.Null(change.Session);
        Assert.Equal("refresh_token_not_found", change.Error!.Code);
        var requestsSoFar = handler.Count;
        var error = await Assert.ThrowsAsync<CrmAuthException>(() => crm.Rest.From("tickets").ExecuteAsync(Ct));
        Assert.Equal("refresh_token_not_found", error.Code);
        Assert.Equal(requestsSoFar, handler.Count);
        await Assert.ThrowsAsync<CrmAuthException>(() => crm.Tickets.GetAsync(Guid.NewGuid(), cancellationToken: Ct));
    }

    [Fact]
    public async Task Rejected_on_demand_refresh_throws_to_every_waiting_caller()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((_, _) => Task.FromResult(ScriptedHandler.Json(400, """{"code":"refresh_token_already_used","message":"Invalid Refresh Token: Already Used"}""")));
        using var root = Client(handler, time);
        var crm = root.WithSession(new Session { AccessToken = "jwt-1", RefreshToken = "refresh-1", ExpiresAt = time.GetUtcNow().AddSeconds(-5) });

        var calls = Enumerable.Range(0, 5).Select(_ => crm.Rest.From("tickets").ExecuteAsync(Ct)).ToArray();

        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<CrmAuthException>(() => call);
        }

        Assert.Equal(1, handler.Count);
        await Assert.ThrowsAsync<CrmAuthException>(() => crm.Auth.RefreshSessionAsync(Ct));
    }

    [Fact]
    public async Task Transient_refresh_failure_keeps_a_still_valid_token_and_reports_it()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(request.RequestUri!.AbsolutePath.EndsWith("/token", StringComparison.Ordinal)
            ? ScriptedHandler.Json(503, """{"message":"upstream down"}""")
            : ScriptedHandler.Json(200, "[]")));
        using var root = Client(handler, time);
        var crm = root.WithSession(new Session { AccessToken = "jwt-1", RefreshToken = "refresh-1", ExpiresAt = time.GetUtcNow().AddSeconds(60) });
        var failed = Next(crm, AuthChangeEvent.RefreshFailed);

        await crm.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Equal(503, (await failed).Error!.Status);
        Assert.Equal("Bearer jwt-1", handler.Requests.Last().Authorization);
    }

    [Fact]
    public async Task Sign_in_after_a_rejected_refresh_recovers()
    {
        var time = Stub.FakeTime();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(
            request.RequestUri!.Query.Contains("grant_type=refresh_token", StringComparison.Ordinal)
                ? ScriptedHandler.Json(400, """{"code":"session_not_found","message":"gone"}""")
                : request.RequestUri.AbsolutePath.EndsWith("/token", StringComparison.Ordinal)
                    ? ScriptedHandler.Json(200, SessionJson(time, "jwt-3", "refresh-3", TimeSpan.FromHours(1)))
                    : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]") }));
        using var crm = Client(handler, time);
        await crm.Auth.SetSessionAsync(new Session { AccessToken = "jwt-1", RefreshToken = "refresh-1", ExpiresAt = time.GetUtcNow().AddSeconds(10) }, Ct);
        await Assert.ThrowsAsync<CrmAuthException>(() => crm.Rest.From("tickets").ExecuteAsync(Ct));

        await crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct);
        await crm.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Equal("Bearer jwt-3", handler.Requests.Last().Authorization);
    }
}
