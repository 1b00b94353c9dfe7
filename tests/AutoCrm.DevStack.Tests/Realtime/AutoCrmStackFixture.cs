using System.Text.Json.Nodes;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>A seeded DevStack (the real AutoCRM schema) for the Realtime tests that need tickets and their policies.</summary>
public sealed class AutoCrmStackFixture : IAsyncLifetime
{
    public static readonly Guid Admin = Guid.Parse("a0000000-0000-4000-8000-000000000001");
    public static readonly Guid Alice = Guid.Parse("a0000000-0000-4000-8000-000000000002");
    public static readonly Guid Bob = Guid.Parse("a0000000-0000-4000-8000-000000000003");
    public static readonly Guid Carol = Guid.Parse("c0000000-0000-4000-8000-000000000001");
    public static readonly Guid Dave = Guid.Parse("c0000000-0000-4000-8000-000000000002");
    public static readonly Guid Erin = Guid.Parse("c0000000-0000-4000-8000-000000000003");
    public static readonly Guid Billing = Guid.Parse("b0000000-0000-4000-8000-000000000002");

    private DevStackServer? _server;

    public DevStackServer Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() =>
        _server = await DevStackServer.StartAsync(new DevStackOptions { JwtSecret = TestTokens.Secret, EnforceAuthRateLimits = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>An access token for a seeded user, as Auth would issue it.</summary>
    public static string TokenFor(Guid user) => TestTokens.Create(new JsonObject
    {
        ["sub"] = user.ToString(),
        ["role"] = "authenticated",
        ["aud"] = "authenticated",
        ["session_id"] = Guid.NewGuid().ToString(),
    });

    internal Task<RealtimeTestClient> ConnectAsync(string vsn = "1.0.0") => RealtimeTestClient.ConnectAsync(Server.Url, Server.AnonKey, vsn);

    public async Task ExecuteAsync(string sql, params object?[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The ticket ids a user may select, asked of PostgreSQL with that user's claims (the oracle for RLS tests).</summary>
    public async Task<HashSet<Guid>> VisibleTicketsAsync(Guid user)
    {
        await using var connection = new NpgsqlConnection(ToConnectionString(Server.DatabaseUrl));
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, tx))
        {
            set.Parameters.Add(new NpgsqlParameter { Value = new JsonObject { ["sub"] = user.ToString(), ["role"] = "authenticated" }.ToJsonString() });
            await set.ExecuteNonQueryAsync();
        }

        var ids = new HashSet<Guid>();
        await using (var select = new NpgsqlCommand("select id from public.tickets", connection, tx))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        return ids;
    }

    public async Task<List<Guid>> AllTicketsAsync()
    {
        await using var connection = new NpgsqlConnection(ToConnectionString(Server.DatabaseUrl));
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("select id from public.tickets order by number", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    public string ConnectionString => ToConnectionString(Server.DatabaseUrl);

    private static string ToConnectionString(string url)
    {
        var uri = new Uri(url);
        var userInfo = uri.UserInfo.Split(':');
        return $"Host={uri.Host};Port={uri.Port};Username={userInfo[0]};Password={(userInfo.Length > 1 ? userInfo[1] : "")};Database={uri.AbsolutePath.TrimStart('/')}";
    }
}
