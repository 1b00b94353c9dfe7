using System.Reactive.Subjects;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Realtime.Streams;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>A <see cref="RealtimeClient"/> on a <see cref="FakeTimeProvider"/> against a <see cref="FakeRealtimeServer"/>, with an in-memory <c>ticket_events</c>.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    private readonly Channel<TimeSpan> _reconnects = Channel.CreateUnbounded<TimeSpan>();
    private readonly Channel<PhoenixMessage> _handled = Channel.CreateUnbounded<PhoenixMessage>();

    private ClientHarness(FakeRealtimeServer server, FakeTimeProvider time, InMemoryTicketEvents events, BehaviorSubject<string?> tokens, RealtimeClient client)
    {
        Server = server;
        Time = time;
        Events = events;
        Tokens = tokens;
        Client = client;
        client.Socket.ReconnectScheduled += (_, d) => _reconnects.Writer.TryWrite(d);
        client.Socket.MessageHandled += m => _handled.Writer.TryWrite(m);
    }

    /// <summary>Waits until the client has handled a received message that matches (messages are handled in arrival order).</summary>
    public async Task<PhoenixMessage> HandledAsync(Func<PhoenixMessage, bool> match)
    {
        using var timeout = Timeouts.Cts();
        while (true)
        {
            var message = await _handled.Reader.ReadAsync(timeout.Token);
            if (match(message))
            {
                return message;
            }
        }
    }

    public FakeRealtimeServer Server { get; }

    public FakeTimeProvider Time { get; }

    public InMemoryTicketEvents Events { get; }

    public BehaviorSubject<string?> Tokens { get; }

    public RealtimeClient Client { get; }

    /// <param name="token">The access token the client's token provider returns.</param>
    /// <param name="version">The serializer.</param>
    /// <param name="tokenChanges">Whether token changes are pushed to the client (false: like a ForUser client, whose fixed
    /// token is only known by asking the provider).</param>
    public static async Task<ClientHarness> StartAsync(string? token = null, RealtimeProtocolVersion version = RealtimeProtocolVersion.V2, bool tokenChanges = true)
    {
        var server = await FakeRealtimeServer.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var events = new InMemoryTicketEvents(time);
        var tokens = new BehaviorSubject<string?>(token);
        var client = new RealtimeClient(
            server.BaseUrl,
            "anon-key",
            _ => ValueTask.FromResult(tokens.Value),
            tokenChanges ? tokens : System.Reactive.Linq.Observable.Never<string?>(),
            events,
            time,
            NullLoggerFactory.Instance,
            new RealtimeOptions { ProtocolVersion = version },
            o => o with { Random = () => 0.5 });
        return new ClientHarness(server, time, events, tokens, client);
    }

    public async Task<TimeSpan> NextReconnectDelayAsync()
    {
        using var timeout = Timeouts.Cts();
        return await _reconnects.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>
    /// Answers the next join, giving each requested postgres_changes binding an id (100, 101, ...), and (unless
    /// <paramref name="confirm"/> is false) confirms the database subscription with the <c>system</c> message, as Supabase does.
    /// </summary>
    public static async Task<ServerFrame> JoinAsync(ServerConnection connection, bool confirm = true)
    {
        var join = await connection.ReceiveAsync("phx_join");
        var bindings = new JsonArray();
        var id = 100;
        foreach (var b in join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray())
        {
            var entry = JsonNode.Parse(b.GetRawText())!.AsObject();
            entry["id"] = id++;
            bindings.Add((JsonNode)entry);
        }

        await connection.ReplyAsync(join, new JsonObject { ["postgres_changes"] = bindings }.ToJsonString());
        if (confirm && bindings.Count > 0)
        {
            await ConfirmAsync(connection, join);
        }

        return join;
    }

    /// <summary>The server's confirmation that the database subscription is active.</summary>
    public static Task ConfirmAsync(ServerConnection connection, ServerFrame join) =>
        connection.SendAsync(join.JoinRef, null, join.Topic, "system",
            $$"""{"message":"Subscribed to PostgreSQL","status":"ok","extension":"postgres_changes","channel":"{{join.Topic["realtime:".Length..]}}"}""");

    public static Task SendChangeAsync(ServerConnection connection, ServerFrame join, string table, string type, string recordJson, string oldRecordJson = "null", int id = 100) =>
        connection.SendAsync(join.JoinRef, null, join.Topic, "postgres_changes",
            $$$"""{"ids":[{{{id}}}],"data":{"schema":"public","table":"{{{table}}}","type":"{{{type}}}","commit_timestamp":"2026-01-01T12:00:00.000Z","columns":[],"record":{{{recordJson}}},"old_record":{{{oldRecordJson}}},"errors":null}}""");

    public static Task SendEventAsync(ServerConnection connection, ServerFrame join, TicketEvent ticketEvent) =>
        SendChangeAsync(connection, join, "ticket_events", "INSERT", JsonSerializer.Serialize(ticketEvent, CrmJsonContext.Default.TicketEvent));

    public static string Jwt(Guid sub)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("""{"alg":"HS256","typ":"JWT"}""")}.{B64($$"""{"sub":"{{sub}}","role":"authenticated","exp":1983812996}""")}.c2ln";
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>An in-memory <c>ticket_events</c> for the catch-up reads.</summary>
internal sealed class InMemoryTicketEvents(TimeProvider time) : ITicketEventReader
{
    private readonly object _gate = new();
    private readonly List<TicketEvent> _events = [];
    private long _nextId = 1;

    public TaskCompletionSource<long> LatestRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Dictionary<Guid, Guid?> Queues { get; } = [];

    public int Reads { get; private set; }

    private readonly HashSet<long> _uncommitted = [];

    /// <summary>The typed form of <c>{field: [old, new]}</c>, as the SDK reads it from the server.</summary>
    private static IReadOnlyDictionary<string, TicketFieldChange> ChangesOf(JsonObject changes) =>
        System.Text.Json.JsonSerializer.Deserialize(changes.ToJsonString(), AutoCrm.Sdk.Internal.CrmJsonContext.Default.IReadOnlyDictionaryStringTicketFieldChange)!;

    /// <summary>Adds an event; an uncommitted one has its id but is invisible to reads until <see cref="Commit"/>.</summary>
    public TicketEvent Add(Guid ticketId, string kind, JsonObject changes, Guid? actor = null, bool committed = true)
    {
        lock (_gate)
        {
            var e = new TicketEvent { Id = _nextId++, TicketId = ticketId, ActorId = actor, Kind = new TicketEventKind(kind), Changes = ChangesOf(changes), CreatedAt = time.GetUtcNow() };
            _events.Add(e);
            if (!committed)
            {
                _uncommitted.Add(e.Id);
            }

            return e;
        }
    }

    public void Commit(TicketEvent e)
    {
        lock (_gate)
        {
            _uncommitted.Remove(e.Id);
        }
    }

    public TicketEvent StatusChange(Guid ticketId, string from, string to, bool committed = true) =>
        Add(ticketId, "status_changed", new JsonObject { ["status"] = new JsonArray(from, to) }, committed: committed);

    public Task<long> LatestIdAsync(IReadOnlyList<string> kinds, CancellationToken cancellationToken)
    {
        long latest;
        lock (_gate)
        {
            latest = _events.Where(e => kinds.Contains(e.Kind.Value) && !_uncommitted.Contains(e.Id)).Select(e => e.Id).DefaultIfEmpty(0).Max();
        }

        LatestRead.TrySetResult(latest);
        return Task.FromResult(latest);
    }

    public Task<IReadOnlyList<TicketEvent>> ReadAfterAsync(long afterId, IReadOnlyList<string> kinds, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Reads++;
            return Task.FromResult<IReadOnlyList<TicketEvent>>([.. _events.Where(e => e.Id > afterId && kinds.Contains(e.Kind.Value) && !_uncommitted.Contains(e.Id)).OrderBy(e => e.Id).Take(limit)]);
        }
    }

    public Task<Guid?> QueueOfAsync(Guid ticketId, CancellationToken cancellationToken) =>
        Task.FromResult(Queues.GetValueOrDefault(ticketId));
}

/// <summary>Collects what an observable produced.</summary>
internal sealed class Recorder<T> : IObserver<T>
{
    public Channel<T> Items { get; } = Channel.CreateUnbounded<T>();

    public TaskCompletionSource<Exception> Error { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnNext(T value) => Items.Writer.TryWrite(value);

    public void OnError(Exception error) => Error.TrySetResult(error);

    public void OnCompleted() => Completed.TrySetResult();

    public async Task<T> NextAsync()
    {
        using var timeout = Timeouts.Cts();
        return await Items.Reader.ReadAsync(timeout.Token);
    }

    public async Task<List<T>> TakeAsync(int count)
    {
        var list = new List<T>();
        while (list.Count < count)
        {
            list.Add(await NextAsync());
        }

        return list;
    }
}
