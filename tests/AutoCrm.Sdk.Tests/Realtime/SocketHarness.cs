using System.Text.Json;
using System.Threading.Channels;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Realtime.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>A <see cref="PhoenixSocket"/> on a <see cref="FakeTimeProvider"/> against a <see cref="FakeRealtimeServer"/>, with its events recorded.</summary>
internal sealed class SocketHarness : IAsyncDisposable
{
    private readonly Channel<RealtimeConnectionState> _states = Channel.CreateUnbounded<RealtimeConnectionState>();
    private readonly Channel<TimeSpan> _reconnects = Channel.CreateUnbounded<TimeSpan>();
    private readonly IDisposable _stateSubscription;

    private SocketHarness(FakeRealtimeServer server, PhoenixSocket socket, FakeTimeProvider time)
    {
        Server = server;
        Socket = socket;
        Time = time;
        _stateSubscription = socket.States.Subscribe(s => _states.Writer.TryWrite(s));
        socket.ReconnectScheduled += (_, delay) => _reconnects.Writer.TryWrite(delay);
    }

    public FakeRealtimeServer Server { get; }

    public PhoenixSocket Socket { get; }

    public FakeTimeProvider Time { get; }

    public string? Token { get; set; }

    public static async Task<SocketHarness> StartAsync(RealtimeProtocolVersion version, Func<PhoenixSocketOptions, PhoenixSocketOptions>? configure = null)
    {
        var server = await FakeRealtimeServer.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        SocketHarness? harness = null;
        var options = new PhoenixSocketOptions
        {
            Endpoint = server.WebSocketUrl,
            ApiKey = "anon-key",
            Version = version,
            Random = () => 0.5,
            AccessToken = () => harness?.Token,
        };
        options = configure?.Invoke(options) ?? options;
        var socket = new PhoenixSocket(options, time, NullLogger.Instance);
        harness = new SocketHarness(server, socket, time);
        return harness;
    }

    public async Task WaitForStateAsync(RealtimeConnectionState state)
    {
        using var timeout = Timeouts.Cts();
        while (await _states.Reader.ReadAsync(timeout.Token) != state)
        {
        }
    }

    public async Task<TimeSpan> NextReconnectDelayAsync()
    {
        using var timeout = Timeouts.Cts();
        return await _reconnects.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Accepts the next connection and answers the join of <paramref name="topic"/> with <paramref name="response"/>.</summary>
    public async Task<(ServerConnection Connection, ServerFrame Join)> AcceptAndJoinAsync(string topic, string response = "{\"postgres_changes\":[]}")
    {
        var connection = await Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        Assert.Equal(topic, join.Topic);
        await connection.ReplyAsync(join, response);
        return (connection, join);
    }

    public async ValueTask DisposeAsync()
    {
        _stateSubscription.Dispose();
        await Socket.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>Records what a <see cref="RealtimeChannel"/> reports.</summary>
internal sealed class ChannelEvents
{
    public Channel<string> Lifecycle { get; } = Channel.CreateUnbounded<string>();

    public Channel<(PostgresChangesBinding Binding, PostgresChange Change)> Changes { get; } = Channel.CreateUnbounded<(PostgresChangesBinding, PostgresChange)>();

    public Channel<(string Event, JsonElement Payload)> Broadcasts { get; } = Channel.CreateUnbounded<(string, JsonElement)>();

    public Channel<IReadOnlyDictionary<string, IReadOnlyList<JsonElement>>> Presence { get; } = Channel.CreateUnbounded<IReadOnlyDictionary<string, IReadOnlyList<JsonElement>>>();

    public RealtimeChannel Create(PhoenixSocket socket, string topic, RealtimeChannelConfig config) =>
        new(socket, topic, config, (b, c) => Changes.Writer.TryWrite((b, c)))
        {
            Joined = () => Lifecycle.Writer.TryWrite("joined"),
            Errored = () => Lifecycle.Writer.TryWrite("errored"),
            Closed = reason => Lifecycle.Writer.TryWrite("closed:" + reason),
            JoinFailed = reason => Lifecycle.Writer.TryWrite("join-failed:" + reason),
            BindingMismatch = reason => Lifecycle.Writer.TryWrite("mismatch"),
            Broadcast = (e, p) => Broadcasts.Writer.TryWrite((e, p.Clone())),
            PresenceChanged = s => Presence.Writer.TryWrite(s),
        };

    public static async Task<T> NextAsync<T>(Channel<T> channel)
    {
        using var timeout = Timeouts.Cts();
        return await channel.Reader.ReadAsync(timeout.Token);
    }
}
