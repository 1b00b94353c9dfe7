using System.Text.Json.Nodes;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;

namespace AutoCrm.Sdk.Tests.Integration;

public sealed class AuthIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sign_up_update_refresh_and_sign_out_round_trip()
    {
        using var crm = stack.Client();
        var email = DevStackFixture.UniqueEmail("signup");
        var changes = new List<AuthChangeEvent>();
        using var subscription = crm.Auth.StateChanges.Subscribe(c => changes.Add(c.Event));

        var signUp = await crm.Auth.SignUpAsync(email, "first-password", CrmMetadata.Parse("""{"display_name":"Sam"}"""), Ct);
        Assert.NotNull(signUp.Session);
        Assert.Equal(email, (await crm.Auth.GetUserAsync(Ct)).Email);

        var updated = await crm.Auth.UpdateUserAsync(new UserAttributes { Data = CrmMetadata.Parse("""{"theme":"dark"}"""), Password = "second-password" }, Ct);
        Assert.Equal("dark", updated.UserMetadata["theme"]?.GetString());

        var before = (await crm.Auth.GetSessionAsync(Ct))!;
        var refreshed = await crm.Auth.RefreshSessionAsync(Ct);
        Assert.NotEqual(before.RefreshToken, refreshed.RefreshToken);
        var profile = await crm.Profiles.GetAsync(signUp.User.Id, Ct);
        Assert.Equal(UserRole.Customer, profile.Role);

        await crm.Auth.SignOutAsync(cancellationToken: Ct);
        Assert.Null(await crm.Auth.GetSessionAsync(Ct));
        await Assert.ThrowsAsync<CrmAuthException>(() => crm.Auth.SignInWithPasswordAsync(email, "first-password", Ct));
        await crm.Auth.SignInWithPasswordAsync(email, "second-password", Ct);

        Assert.Equal(
            [AuthChangeEvent.InitialSession, AuthChangeEvent.SignedIn, AuthChangeEvent.UserUpdated, AuthChangeEvent.TokenRefreshed, AuthChangeEvent.SignedOut, AuthChangeEvent.SignedIn],
            changes);
    }

    [Fact]
    public async Task Signing_up_twice_is_a_conflict()
    {
        using var crm = stack.Client();
        var email = DevStackFixture.UniqueEmail("twice");
        await crm.Auth.SignUpAsync(email, "a-password", cancellationToken: Ct);

        await Assert.ThrowsAsync<CrmConflictException>(() => crm.Auth.SignUpAsync(email, "a-password", cancellationToken: Ct));
    }

    [Fact]
    public async Task Admin_lists_with_paging_updates_and_deletes_users()
    {
        var admin = stack.Service.Auth.Admin;
        var created = new List<User>();
        for (var i = 0; i < 3; i++)
        {
            created.Add(await admin.CreateUserAsync(new AdminUserAttributes { Email = DevStackFixture.UniqueEmail("admin-list"), Password = "pw-123456", EmailConfirm = true }, Ct));
        }

        var page = await admin.ListUsersAsync(2, Ct).AsPages().FirstAsync(Ct);
        Assert.Equal(2, page.Items.Count);
        Assert.True(page.TotalCount >= 3);
        Assert.NotNull(page.ContinuationToken);
        var all = new List<User>();
        await foreach (var user in admin.ListUsersAsync(2, Ct))
        {
            all.Add(user);
        }

        // GoTrue pages by offset, so users created meanwhile by other tests may shift rows between pages; the
        // users that existed before the walk must all be there.
        Assert.Superset(created.Select(u => u.Id).ToHashSet(), all.Select(u => u.Id).ToHashSet());

        var changed = await admin.UpdateUserAsync(created[0].Id, new AdminUserAttributes { UserMetadata = CrmMetadata.Parse("""{"vip":true}""") }, Ct);
        Assert.True(changed.UserMetadata["vip"]?.GetBoolean());
        await admin.DeleteUserAsync(created[0].Id, cancellationToken: Ct);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.GetUserAsync(created[0].Id, Ct));
    }

    [Fact]
    public async Task Admin_calls_with_a_user_key_are_refused()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        await Assert.ThrowsAsync<CrmForbiddenException>(async () => await customer.Crm.Auth.Admin.ListUsersAsync(cancellationToken: Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_server_acts_for_many_users_with_WithSession_and_ForUser()
    {
        var alice = await stack.CreateUserAsync(UserRole.Customer);
        var bob = await stack.CreateUserAsync(UserRole.Customer);
        using var server = stack.Client();
        var aliceSession = (await alice.Crm.Auth.GetSessionAsync(Ct))!;
        var bobToken = (await bob.Crm.Auth.GetSessionAsync(Ct))!.AccessToken;

        var asAlice = server.WithSession(aliceSession);
        var asBob = server.ForUser(bobToken);
        var aliceTicket = await asAlice.Tickets.CreateAsync(new Tickets.NewTicket { Subject = "Alice's" }, Ct);

        Assert.Equal(alice.Id, aliceTicket.RequesterId);
        Assert.Equal(alice.Id, (await asAlice.Auth.GetUserAsync(Ct)).Id);
        Assert.Equal(bob.Id, (await asBob.Auth.GetUserAsync(Ct)).Id);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => asBob.Tickets.GetAsync(aliceTicket.Id, cancellationToken: Ct));
    }
}
