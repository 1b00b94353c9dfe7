using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Infrastructure;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>
/// <see cref="AuthClient.StateChanges"/> replays the current state to each new subscriber (the realtime client depends on it
/// to know the token of a session that started before it subscribed).
/// </summary>
public sealed class AuthStateReplayTests : IDisposable
{
    private static readonly long FarFuture = DateTimeOffset.UtcNow.AddDays(365).ToUnixTimeSeconds();
    private readonly Stub _stub = new();

    public void Dispose() => _stub.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_late_subscriber_first_gets_the_current_session_then_only_later_changes()
    {
        using var crm = _stub.Client();
        _stub.Reply("POST", "/auth/v1/token", 200, Json.Session("user-jwt", "refresh-1", FarFuture));
        await crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo", Ct);

        var changes = new List<AuthStateChange>();
        using var subscription = crm.Auth.StateChanges.Subscribe(changes.Add);
        var initial = Assert.Single(changes);
        Assert.Equal(AuthChangeEvent.InitialSession, initial.Event);
        Assert.Equal("user-jwt", initial.Session!.AccessToken);

        _stub.Reply("POST", "/auth/v1/logout", 204);
        await crm.Auth.SignOutAsync(cancellationToken: Ct);
        Assert.Equal([AuthChangeEvent.InitialSession, AuthChangeEvent.SignedOut], changes.Select(c => c.Event));

        var afterSignOut = new List<AuthStateChange>();
        using var late = crm.Auth.StateChanges.Subscribe(afterSignOut.Add);
        var state = Assert.Single(afterSignOut);
        Assert.Equal(AuthChangeEvent.InitialSession, state.Event);
        Assert.Null(state.Session);
    }

    [Fact]
    public async Task A_session_in_the_store_is_replayed_before_any_call_loaded_it()
    {
        var store = new InMemorySessionStore();
        using (var first = _stub.Client(store: store))
        {
            _stub.Reply("POST", "/auth/v1/token", 200, Json.Session("stored-jwt", "refresh-1", FarFuture));
            await first.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo", Ct);
        }

        using var crm = _stub.Client(store: store);
        var initial = new TaskCompletionSource<AuthStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = crm.Auth.StateChanges.Subscribe(c => initial.TrySetResult(c));

        var change = await initial.Task.Within();
        Assert.Equal(AuthChangeEvent.InitialSession, change.Event);
        Assert.Equal("stored-jwt", change.Session!.AccessToken);
    }
}
