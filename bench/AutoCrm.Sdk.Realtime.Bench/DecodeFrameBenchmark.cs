using System.Text;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Realtime.Streams;
using AutoCrm.Sdk.Tickets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCrm.Sdk.Realtime.Bench;

/// <summary>
/// What the SDK spends on one <c>postgres_changes</c> frame, from the websocket bytes to the value handed to <c>OnNext</c>:
/// Phoenix decode, routing by binding id, and typed deserialization (no network, no Rx).
/// </summary>
[MemoryDiagnoser]
public class DecodeFrameBenchmark
{
    private static readonly Guid TicketId = Guid.Parse("0191f1e4-7c2a-7d3e-9a1b-2c3d4e5f6a7b");
    private byte[] _ticketUpdateV2 = [];
    private byte[] _ticketUpdateV1 = [];
    private byte[] _statusEventV2 = [];
    private byte[] _row = [];
    private byte[] _rowEmptyMetadata = [];
    private byte[] _metadata = [];
    private byte[] _timestamps = [];
    private PhoenixSocket _socket = null!;
    private RealtimeChannel _ticketChannel = null!;
    private RealtimeChannel _eventChannel = null!;
    private RealtimeChannel _routeOnlyChannel = null!;
    private PostgresChange? _lastRouted;
    private readonly StatusChangeProjection _projection = new(null, null!);
    private readonly List<TicketStatusChanged> _output = [];
    private TicketChange? _lastChange;
    private TicketStatusChanged? _lastStatus;

    [GlobalSetup]
    public void Setup()
    {
        var row = Row("on_hold");
        _row = Encoding.UTF8.GetBytes(row);
        _rowEmptyMetadata = Encoding.UTF8.GetBytes(row.Replace("""{"channel":"email","sla":{"tier":"gold","due_at":"2026-01-02T12:00:00Z"}}""", "{}", StringComparison.Ordinal));
        _metadata = Encoding.UTF8.GetBytes("""{"channel":"email","sla":{"tier":"gold","due_at":"2026-01-02T12:00:00Z"}}""");
        _timestamps = Encoding.UTF8.GetBytes($$"""{"id":"{{TicketId}}","created_at":"2026-01-01T09:30:00.123456+00:00","updated_at":"2026-01-01T12:00:00.123456+00:00","first_response_at":"2026-01-01T10:00:00+00:00","solved_at":null,"closed_at":null}""");
        var old = Row("open");
        var update = $$$"""{"ids":[31339675],"data":{"schema":"public","table":"tickets","type":"UPDATE","commit_timestamp":"2026-01-01T12:00:00.123Z","columns":[{"name":"id","type":"uuid"},{"name":"number","type":"int8"},{"name":"subject","type":"text"},{"name":"status","type":"ticket_status"},{"name":"priority","type":"ticket_priority"},{"name":"requester_id","type":"uuid"},{"name":"assignee_id","type":"uuid"},{"name":"queue_id","type":"uuid"},{"name":"tags","type":"_text"},{"name":"metadata","type":"jsonb"},{"name":"version","type":"int4"},{"name":"created_at","type":"timestamptz"},{"name":"updated_at","type":"timestamptz"}],"record":{{{row}}},"old_record":{{{old}}},"errors":null}}""";
        _ticketUpdateV2 = Encoding.UTF8.GetBytes($"""["7",null,"realtime:autocrm-1","postgres_changes",{update}]""");
        _ticketUpdateV1 = Encoding.UTF8.GetBytes($$"""{"topic":"realtime:autocrm-1","event":"postgres_changes","payload":{{update}},"ref":null}""");
        var ev = $$"""{"id":918273,"ticket_id":"{{TicketId}}","actor_id":"0191f1e4-0000-7000-8000-000000000002","kind":"status_changed","changes":{"status":["open","pending"]},"created_at":"2026-01-01T12:00:00.123456+00:00"}""";
        _statusEventV2 = Encoding.UTF8.GetBytes($$$"""["8",null,"realtime:autocrm-2","postgres_changes",{"ids":[31339676],"data":{"schema":"public","table":"ticket_events","type":"INSERT","commit_timestamp":"2026-01-01T12:00:00.123Z","columns":[],"record":{{{ev}}},"old_record":null,"errors":null}}]""");

        _socket = new PhoenixSocket(new PhoenixSocketOptions { Endpoint = new Uri("ws://127.0.0.1:1/realtime/v1/websocket"), ApiKey = "k" }, TimeProvider.System, NullLogger.Instance);
        var ticketBinding = new PostgresChangesBinding("*", "public", "tickets", null) { Id = 31339675 };
        _ticketChannel = new RealtimeChannel(_socket, "realtime:autocrm-1", new RealtimeChannelConfig { PostgresChanges = [ticketBinding] },
            (_, change) => _lastChange = TicketChangesSession.Decode(change));
        _routeOnlyChannel = new RealtimeChannel(_socket, "realtime:autocrm-1", new RealtimeChannelConfig { PostgresChanges = [ticketBinding] },
            (_, change) => _lastRouted = change);
        var eventBinding = new PostgresChangesBinding("INSERT", "public", "ticket_events", "kind=eq.status_changed") { Id = 31339676 };
        _eventChannel = new RealtimeChannel(_socket, "realtime:autocrm-2", new RealtimeChannelConfig { PostgresChanges = [eventBinding] },
            (_, change) =>
            {
                var ticketEvent = RowJson.Read(change.Record, AutoCrm.Sdk.Internal.CrmJsonContext.Default.TicketEvent)!;
                _output.Clear();
                _projection.ProjectAsync(ticketEvent, _output, CancellationToken.None).GetAwaiter().GetResult();
                _lastStatus = _output[0];
            });
    }

    [GlobalCleanup]
    public void Cleanup() => _socket.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "tickets UPDATE, vsn 2.0.0 → TicketChange (old + new)")]
    public TicketChange? TicketUpdateV2()
    {
        var message = V2PhoenixSerializer.Instance.Decode(_ticketUpdateV2, isBinary: false)!;
        _ticketChannel.RoutePostgresChange(message.RawPayload);
        return _lastChange;
    }

    [Benchmark(Description = "tickets UPDATE, vsn 2.0.0 → TicketChange, then reading Old")]
    public Tickets.Ticket? TicketUpdateV2ReadOld()
    {
        var message = V2PhoenixSerializer.Instance.Decode(_ticketUpdateV2, isBinary: false)!;
        _ticketChannel.RoutePostgresChange(message.RawPayload);
        return _lastChange!.Old;
    }

    [Benchmark(Description = "tickets UPDATE, vsn 1.0.0 → TicketChange (old + new)")]
    public TicketChange? TicketUpdateV1()
    {
        var message = V1PhoenixSerializer.Instance.Decode(_ticketUpdateV1, isBinary: false)!;
        _ticketChannel.RoutePostgresChange(message.RawPayload);
        return _lastChange;
    }

    [Benchmark(Description = "ticket_events INSERT, vsn 2.0.0 → TicketStatusChanged")]
    public TicketStatusChanged? StatusEventV2()
    {
        var message = V2PhoenixSerializer.Instance.Decode(_statusEventV2, isBinary: false)!;
        _eventChannel.RoutePostgresChange(message.RawPayload);
        return _lastStatus;
    }

    /// <summary>Breakdown (for <c>--cpu</c>): frame decode and routing to the binding, no typed decode.</summary>
    public object? FrameAndRouteOnly()
    {
        var message = V2PhoenixSerializer.Instance.Decode(_ticketUpdateV2, isBinary: false)!;
        _routeOnlyChannel.RoutePostgresChange(message.RawPayload);
        return _lastRouted;
    }

    /// <summary>Breakdown: one full ticket row → <see cref="Tickets.Ticket"/>.</summary>
    public Tickets.Ticket? RowOnly() => System.Text.Json.JsonSerializer.Deserialize(_row, AutoCrm.Sdk.Internal.CrmJsonContext.Default.Ticket);

    /// <summary>Breakdown: the same row with <c>"metadata":{}</c>.</summary>
    public Tickets.Ticket? RowEmptyMetadata() => System.Text.Json.JsonSerializer.Deserialize(_rowEmptyMetadata, AutoCrm.Sdk.Internal.CrmJsonContext.Default.Ticket);

    /// <summary>Breakdown: the row's metadata object alone → <see cref="System.Text.Json.Nodes.JsonObject"/>.</summary>
    public System.Text.Json.Nodes.JsonNode? MetadataOnly() => System.Text.Json.Nodes.JsonNode.Parse(_metadata);

    /// <summary>Breakdown: the row's five timestamps as <see cref="DateTimeOffset"/>.</summary>
    public DateTimeOffset? TimestampsOnly() => System.Text.Json.JsonSerializer.Deserialize(_timestamps, AutoCrm.Sdk.Internal.CrmJsonContext.Default.Ticket)?.UpdatedAt;

    [Benchmark(Description = "Phoenix frame only (vsn 2.0.0, tickets UPDATE)")]
    public string FrameOnly() => V2PhoenixSerializer.Instance.Decode(_ticketUpdateV2, isBinary: false)!.Event;

    private static string Row(string status) =>
        $$$"""{"id":"{{{TicketId}}}","number":1042,"subject":"Printer on fire in building 7, third floor","status":"{{{status}}}","priority":"high","requester_id":"0191f1e4-0000-7000-8000-000000000001","assignee_id":"0191f1e4-0000-7000-8000-000000000002","queue_id":"0191f1e4-0000-7000-8000-000000000003","tags":["hardware","urgent-site"],"metadata":{"channel":"email","sla":{"tier":"gold","due_at":"2026-01-02T12:00:00Z"}},"version":7,"created_at":"2026-01-01T09:30:00.123456+00:00","updated_at":"2026-01-01T12:00:00.123456+00:00","first_response_at":"2026-01-01T10:00:00+00:00","solved_at":null,"closed_at":null}""";
}
