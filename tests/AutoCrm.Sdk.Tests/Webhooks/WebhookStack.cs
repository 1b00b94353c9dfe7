using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using AutoCrm.Sdk.AspNetCore;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoCrm.Sdk.Tests.Webhooks;

/// <summary>
/// A DevStack of its own for the dispatcher's tests: a dispatcher leases every due delivery of the database, so on the
/// stack the other integration tests share it would send their endpoints' deliveries too (and they would send it theirs).
/// </summary>
public sealed class WebhookStack : IAsyncLifetime
{
    private DevStackServer? _server;

    public DevStackServer Server => _server ?? throw new InvalidOperationException("DevStack not started");

    public CrmClient Service { get; private set; } = null!;

    /// <summary>A customer who requests the tickets the tests insert.</summary>
    public Guid Customer { get; private set; }

    private string ConnectionString => CrmDataGenerator.ConnectionStringFrom(Server.AdminDatabaseUrl);

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false, EnforceAuthRateLimits = false }, ct);
        Service = new CrmClient(new CrmClientOptions { Url = Server.Url, ApiKey = Server.ServiceRoleKey });
        var user = await Service.Auth.Admin.CreateUserAsync(
            new AdminUserAttributes { Email = $"hooks-{Guid.NewGuid():N}@it.test", Password = "it-password-1", EmailConfirm = true }, ct);
        Customer = user.Id;
    }

    public async ValueTask DisposeAsync()
    {
        Service?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Creates an endpoint (as back-office code with the service role) at a placeholder URL, since the secret
    /// comes first and the receiver that needs it second; <see cref="PointEndpointAsync"/> sets the URL.</summary>
    public async Task<(Guid Id, string Secret)> CreateEndpointAsync(params string[] events)
    {
        var url = new Uri("http://127.0.0.1:9/not-yet");
        var created = await Service.Rest.Rpc("create_webhook_endpoint", new JsonObject
        {
            ["url"] = url.AbsoluteUri,
            ["events"] = new JsonArray([.. events.Select(e => JsonValue.Create(e))]),
        }).ToJsonAsync(TestContext.Current.CancellationToken);
        return (created.GetProperty("endpoint").GetProperty("id").GetGuid(), created.GetProperty("secret").GetString()!);
    }

    public Task PointEndpointAsync(Guid endpoint, Uri url) =>
        SqlAsync($"update public.webhook_endpoints set url = '{url.AbsoluteUri}' where id = '{endpoint}'");

    /// <summary>Turns an endpoint off at the end of a test, so later tests' tickets queue nothing for its stopped receiver.</summary>
    public Task DisableEndpointAsync(Guid endpoint) =>
        SqlAsync($"update public.webhook_endpoints set active = false where id = '{endpoint}'");

    public WebhookDispatcher Dispatcher(TimeProvider time, string name, Action<WebhookDispatcherOptions>? configure = null)
    {
        var options = new WebhookDispatcherOptions
        {
            Url = Server.Url,
            ServiceRoleKey = Server.ServiceRoleKey,
            Name = name,
            TimeProvider = time,
            BatchSize = 50,
        };
        configure?.Invoke(options);
        return new WebhookDispatcher(options);
    }

    /// <summary>Runs SQL as the platform superuser (row-level security does not apply), in one transaction.</summary>
    public async Task SqlAsync(string sql, bool commit = true)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            command.Parameters.AddWithValue("customer", Customer);
            await command.ExecuteNonQueryAsync(ct);
        }

        if (commit)
        {
            await transaction.CommitAsync(ct);
        }
        else
        {
            await transaction.RollbackAsync(ct);
        }
    }

    public async Task<T> ScalarAsync<T>(string sql, Guid endpoint)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("endpoint", endpoint);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<List<T>> RowsAsync<T>(string sql, Guid endpoint, Func<NpgsqlDataReader, T> read)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("endpoint", endpoint);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}

/// <summary>A real receiver: Kestrel on a free port, verifying every request with <c>MapAutoCrmWebhook</c> on the test's clock.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _refused;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Requests refused before reaching the handler (a signature that does not verify).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Starts a receiver at <c>/hooks</c>; <paramref name="handle"/> sets the answer for each verified event.</summary>
    public static async Task<WebhookReceiver> StartAsync(TimeProvider time, string secret, Func<WebhookEvent, HttpContext, Task> handle)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(time);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status400BadRequest)
            {
                Interlocked.Increment(ref receiver._refused);
            }
        });
        app.MapAutoCrmWebhook("/hooks", new WebhookReceiverOptions { Secrets = [secret] }, handle);
        await app.StartAsync(TestContext.Current.CancellationToken);
        receiver.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks");
        return receiver;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
