using AutoCrm.DevStack;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;

[assembly: AssemblyFixture(typeof(AutoCrm.Sdk.Tests.Integration.DevStackFixture))]

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>One in-process DevStack on a throwaway cluster for the whole test assembly; tests create their own users and queues.</summary>
public sealed class DevStackFixture : IAsyncLifetime
{
    public const string Password = "it-password-1";
    private DevStackServer? _server;
    private CrmClient? _service;

    public DevStackServer Server => _server ?? throw new InvalidOperationException("DevStack not started");

    /// <summary>A back-office client with the service_role key (bypasses row-level security).</summary>
    public CrmClient Service => _service ?? throw new InvalidOperationException("DevStack not started");

    public async ValueTask InitializeAsync()
    {
        _server = await DevStackServer.StartAsync(new DevStackOptions { EnforceAuthRateLimits = false }, TestContext.Current.CancellationToken);
        _service = Client(_server.ServiceRoleKey);
    }

    public async ValueTask DisposeAsync()
    {
        _service?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public CrmClient Client(string? apiKey = null, HttpMessageHandler? handler = null, int maxRetries = 3) => new(new CrmClientOptions
    {
        Url = Server.Url,
        ApiKey = apiKey ?? Server.AnonKey,
        HttpMessageHandler = handler,
        MaxRetries = maxRetries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
    });

    public static string UniqueEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}@it.test";

    /// <summary>Creates a confirmed user with a role and queue memberships, and a client signed in as that user.</summary>
    public async Task<TestUser> CreateUserAsync(UserRole role, params Guid[] queues)
    {
        var ct = TestContext.Current.CancellationToken;
        var email = UniqueEmail(role.ToString().ToLowerInvariant());
        var user = await Service.Auth.Admin.CreateUserAsync(new AdminUserAttributes { Email = email, Password = Password, EmailConfirm = true }, ct);
        if (role != UserRole.Customer)
        {
            await Service.Profiles.SetRoleAsync(user.Id, role, ct);
        }

        foreach (var queue in queues)
        {
            await Service.Queues.AddMemberAsync(queue, user.Id, ct);
        }

        var crm = Client();
        await crm.Auth.SignInWithPasswordAsync(email, Password, ct);
        return new TestUser(user.Id, email, crm);
    }

    public Task<Queue> CreateQueueAsync() => Service.Queues.CreateAsync(
        new NewQueue { Slug = "it-" + Guid.NewGuid().ToString("N")[..16], Name = "Integration " + Guid.NewGuid().ToString("N")[..6] },
        TestContext.Current.CancellationToken);
}

public sealed record TestUser(Guid Id, string Email, CrmClient Crm);
