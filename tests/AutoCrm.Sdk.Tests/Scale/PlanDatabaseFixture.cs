using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Integration;
using AutoCrm.Scale;
using Npgsql;

namespace AutoCrm.Sdk.Tests.Scale;

/// <summary>
/// A generated 100 000-ticket database (bootstrap, every migration, then <see cref="CrmDataGenerator"/>) in the assembly
/// DevStack's cluster, served by its own DevStack with PostgREST's plan output on (<c>pgrst.db_plan_enabled</c>), and
/// the generated users a list shape is sent as.
/// </summary>
public sealed class PlanDatabaseFixture(DevStackFixture stack) : IAsyncLifetime
{
    public const int Tickets = 100_000;

    private DevStackServer? _server;

    internal CrmDataGenerator Generator { get; } = new(new CrmDataOptions { Tickets = Tickets, Seed = 1 });

    internal string ConnectionString { get; private set; } = "";

    internal ShapeFacts Facts { get; private set; } = null!;

    internal DevStackServer Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = new NpgsqlConnectionStringBuilder(CrmDataGenerator.ConnectionStringFrom(stack.Server.DatabaseUrl));
        var name = "plans_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(admin.ConnectionString, $"create database \"{name}\"", ct);
        admin.Database = name;
        ConnectionString = admin.ConnectionString;
        await ExecuteAsync(ConnectionString, $"alter role authenticator in database \"{name}\" set pgrst.db_plan_enabled = 'true'", ct);

        // Migrate with one DevStack start, load while nothing decodes the load for Realtime, then serve it.
        await (await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = ConnectionString, Seed = false }, ct)).DisposeAsync();
        await Generator.LoadAsync(ConnectionString, cancellationToken: ct);
        await ExecuteAsync(ConnectionString, SlaStates, ct);
        // Every list shape signs a generated user in from the same address, more often than the auth limiter's burst
        // allows; this server measures plans, not auth, so it does not enforce config.toml's [auth.rate_limit].
        _server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = ConnectionString, Seed = false, EnforceAuthRateLimits = false }, ct);

        var data = Generator.Data;
        var agent = data.Queues[0].AgentIds[0];
        Facts = new ShapeFacts(data.Queues[0].Id, agent, data.Customers[0].Id, data.Customers[data.Customers.Count / 2].Id, Generator.Options.End);
    }

    /// <summary>A client signed in as the shape's role, whose requests go through <paramref name="handler"/>.</summary>
    internal async Task<CrmClient> SignInAsync(ShapeRole role, HttpMessageHandler handler, CancellationToken ct)
    {
        var data = Generator.Data;
        var user = role switch
        {
            ShapeRole.Admin => data.Admins[0],
            ShapeRole.Agent => data.Agents.First(a => a.Id == Facts.AgentId),
            ShapeRole.HeavyCustomer => data.Customers[0],
            _ => data.Customers[data.Customers.Count / 2],
        };
        var client = new CrmClient(new CrmClientOptions { Url = Server.Url, ApiKey = Server.AnonKey, SessionStore = new InMemorySessionStore(), HttpMessageHandler = handler, MaxRetries = 0 });
        await client.Auth.SignInWithPasswordAsync(user.Email, Generator.Options.Password, ct);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// SLA states as a policy would leave them (the generator writes no clocks): every new or open ticket has a running
    /// resolution target, and one in ten of them a missed first reply.
    /// </summary>
    private const string SlaStates = """
        insert into public.ticket_sla_states (ticket_id, metric, due_at, target_minutes, breached_metric, breached_at, queue_id, assignee_id)
        select id, 'resolution', created_at + interval '3 days', 4320,
               case when abs(hashtext(id::text)) % 10 = 0 then 'first_reply' end,
               case when abs(hashtext(id::text)) % 10 = 0 then created_at + interval '1 hour' end,
               queue_id, assignee_id
          from public.tickets where status in ('new', 'open');
        analyze public.ticket_sla_states;
        """;

    internal static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }
}
