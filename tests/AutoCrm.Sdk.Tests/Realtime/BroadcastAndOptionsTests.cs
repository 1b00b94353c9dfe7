using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Realtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>Payload of the broadcast tests.</summary>
internal sealed record Typing(Guid TicketId, string Who);

[JsonSerializable(typeof(Typing))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class BroadcastTestJson : JsonSerializerContext;

/// <summary>The public broadcast API and <see cref="RealtimeOptions"/> set through <see cref="CrmClientOptions"/>, frame by frame.</summary>
public sealed class BroadcastAndOptionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Broadcast_sends_with_ack_and_receives_typed_and_raw_payloads()
    {
        await using var h = await ClientHarness.StartAsync(version: RealtimeProtocolVersion.V1);
        await using var room = h.Client.Broadcast("agents");
        var raw = new Recorder<BroadcastMessage>();
        var typed = new Recorder<Typing>();
        using var rawSub = room.Messages.Subscribe(raw);
        using var typedSub = room.MessagesOf("typing", BroadcastTestJson.Default.Typing).Subscribe(typed);

        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        Assert.Equal("realtime:agents", join.Topic);
        var broadcast = join.Payload.GetProperty("config").GetProperty("broadcast");
        Assert.True(broadcast.GetProperty("ack").GetBoolean());
        Assert.False(broadcast.GetProperty("self").GetBoolean());
        Assert.True(join.Payload.GetProperty("config").GetProperty("private").GetBoolean()); // authorized by the project's policies
        await connection.ReplyAsync(join, """{"postgres_changes":[]}""");

        var ticket = Guid.NewGuid();
        var sending = room.SendAsync("typing", new Typing(ticket, "alice"), BroadcastTestJson.Default.Typing, Ct);
        var push = await connection.ReceiveAsync("broadcast");
        Assert.Equal(join.JoinRef, push.JoinRef);
        Assert.Equal($$$"""{"type":"broadcast","event":"typing","payload":{"ticket_id":"{{{ticket}}}","who":"alice"}}""", push.Payload.GetRawText());
        Assert.False(sending.IsCompleted); // waits for the ack
        await connection.ReplyAsync(push);
        await sending.Within();

        await connection.SendAsync(null, null, join.Topic, "broadcast", $$$"""{"type":"broadcast","event":"typing","payload":{"ticket_id":"{{{ticket}}}","who":"bob"}}""");
        await connection.SendAsync(null, null, join.Topic, "broadcast", """{"type":"broadcast","event":"cursor","payload":{"x":3}}""");
        Assert.Equal(new Typing(ticket, "bob"), await typed.NextAsync());
        var first = await raw.NextAsync();
        var second = await raw.NextAsync();
        Assert.Equal("typing", first.Event);
        Assert.Equal(("cursor", 3), (second.Event, second.Payload.GetProperty("x").GetInt32()));

        var refused = room.SendAsync("typing", JsonSerializer.SerializeToElement(new Typing(ticket, "x"), BroadcastTestJson.Default.Typing), Ct);
        var push2 = await connection.ReceiveAsync("broadcast");
        await connection.ReplyAsync(push2, """{"reason":"rate limited"}""", status: "error");
        var error = await Assert.ThrowsAsync<CrmRealtimeException>(() => refused.Within());
        Assert.Contains("rate limited", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unacknowledged_broadcast_fails_after_the_push_timeout()
    {
        await using var h = await ClientHarness.StartAsync();
        await using var room = h.Client.Broadcast("agents");
        var sending = room.SendAsync("ping", JsonSerializer.SerializeToElement(1), Ct); // joins first
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        await connection.ReplyAsync(join, """{"postgres_changes":[]}""");
        await connection.ReceiveAsync(); // the push (binary under vsn 2.0.0)
        h.Time.Advance(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<CrmRealtimeException>(() => sending.Within());
    }

    [Fact]
    public async Task RealtimeOptions_set_on_CrmClientOptions_reach_the_socket()
    {
        await using var server = await FakeRealtimeServer.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        using var crm = new CrmClient(new CrmClientOptions
        {
            Url = server.BaseUrl,
            ApiKey = "anon-key",
            TimeProvider = time,
            Realtime = new RealtimeOptions { ProtocolVersion = RealtimeProtocolVersion.V1, HeartbeatInterval = TimeSpan.FromSeconds(5) },
        });
        await using var room = crm.Realtime.Broadcast("options");
        using var listening = room.Messages.Subscribe(_ => { });

        var connection = await server.AcceptAsync();
        Assert.Equal("1.0.0", connection.Vsn);
        var join = await connection.ReceiveAsync("phx_join");
        await connection.ReplyAsync(join, """{"postgres_changes":[]}""");
        await room.Messages.WhenLiveAsync(Ct).Within();

        time.Advance(TimeSpan.FromSeconds(5));
        var heartbeat = await connection.ReceiveAsync("heartbeat");
        Assert.Equal("phoenix", heartbeat.Topic);
    }

    [Fact]
    public void RealtimeOptions_bind_from_configuration_and_bad_values_are_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Url"] = "http://127.0.0.1:54321",
            ["ApiKey"] = "anon-key",
            ["Realtime:ProtocolVersion"] = "1.0.0",
            ["Realtime:HeartbeatInterval"] = "00:00:15",
            ["Realtime:PushTimeout"] = "00:00:03",
            ["Realtime:CatchUpAfterReconnect"] = "false",
        }).Build();
        using var provider = new ServiceCollection().AddAutoCrm(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<CrmClientOptions>>().Value.Realtime;
        Assert.Equal(
            new RealtimeOptions { ProtocolVersion = RealtimeProtocolVersion.V1, HeartbeatInterval = TimeSpan.FromSeconds(15), PushTimeout = TimeSpan.FromSeconds(3), CatchUpAfterReconnect = false },
            options);
        Assert.Same(options, provider.GetRequiredService<CrmClient>().Realtime.Options);

        var invalid = Assert.Throws<CrmValidationException>(() => new CrmClient(new CrmClientOptions
        {
            Url = new Uri("http://127.0.0.1:54321"),
            ApiKey = "anon-key",
            Realtime = new RealtimeOptions { PushTimeout = TimeSpan.Zero },
        }));
        Assert.Contains("Realtime", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broadcast_names_and_event_names_the_server_cannot_carry_are_refused_as_validation_errors()
    {
        using var crm = new CrmClient(new CrmClientOptions { Url = new Uri("http://127.0.0.1:54321"), ApiKey = "anon-key" });

        Assert.Equal("name", Assert.Throws<CrmValidationException>(() => crm.Realtime.Broadcast(" ")).Field);
        Assert.Equal("name", Assert.Throws<CrmValidationException>(() => crm.Realtime.Broadcast(new string('n', 247))).Field);
        await using var room = crm.Realtime.Broadcast(new string('n', 246));
        var empty = JsonDocument.Parse("{}").RootElement;
        Assert.Equal("event", (await Assert.ThrowsAsync<CrmValidationException>(() => room.SendAsync("", empty, TestContext.Current.CancellationToken))).Field);
        Assert.Equal("event", (await Assert.ThrowsAsync<CrmValidationException>(() => room.SendAsync(new string('e', 256), empty, TestContext.Current.CancellationToken))).Field);
    }
}
