using System.Net.WebSockets;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>Settings of one <see cref="PhoenixSocket"/>.</summary>
internal sealed record PhoenixSocketOptions
{
    /// <summary>The websocket endpoint without query string, e.g. <c>ws://127.0.0.1:54321/realtime/v1/websocket</c>.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>The project key, sent as the <c>apikey</c> query parameter and used as the access token when there is no session.</summary>
    public required string ApiKey { get; init; }

    public RealtimeProtocolVersion Version { get; init; } = RealtimeProtocolVersion.V2;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(25);

    public TimeSpan PushTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay before reconnect attempt n (1-based); the last entry repeats.</summary>
    public IReadOnlyList<TimeSpan> ReconnectDelays { get; init; } = DefaultDelays;

    /// <summary>Delay before rejoin attempt n of an errored channel; the last entry repeats.</summary>
    public IReadOnlyList<TimeSpan> RejoinDelays { get; init; } = DefaultDelays;

    /// <summary>Each delay is multiplied by a factor drawn from [1 − Jitter, 1 + Jitter].</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>Uniform source in [0, 1) for the jitter (tests pin it).</summary>
    public Func<double> Random { get; init; } = System.Random.Shared.NextDouble;

    /// <summary>Reads the current user access token (null: no session, the project key is used).</summary>
    public Func<string?> AccessToken { get; init; } = static () => null;

    /// <summary>Runs before every connection attempt (the client refreshes the access token there).</summary>
    public Func<CancellationToken, Task>? BeforeConnect { get; init; }

    /// <summary>Extra websocket settings (proxy, headers).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; init; }

    internal static readonly IReadOnlyList<TimeSpan> DefaultDelays =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];
}
