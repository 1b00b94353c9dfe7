using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>
/// The realtime findings of the security review, each replayed as the attack against a full DevStack with the AutoCRM
/// schema: regular-expression filters that held up other subscribers, DELETE events whose filters revealed the deleted row,
/// unlimited channels per socket, and staff presence and broadcast channels open to anyone with the anon key.
/// </summary>
public sealed class RealtimeSecurityTests(AutoCrmStackFixture stack) : IClassFixture<AutoCrmStackFixture>
{
    /// <summary>Carol's ticket in "general" (Alice and Bob's queue).</summary>
    private static readonly Guid CarolsTicket = Guid.Parse("d0000000-0000-4000-8000-000000000001");

    /// <summary>Dave's ticket in "billing" (Alice's queue, not Bob's).</summary>
    private static readonly Guid DavesTicket = Guid.Parse("d0000000-0000-4000-8000-000000000002");

    private static string Topic(string name = "sec") => $"realtime:{name}-{Guid.NewGuid().ToString("N")[..8]}";

    private static JsonObject Private(JsonObject? presence = null, JsonObject? broadcast = null)
    {
        var config = new JsonObject { ["private"] = true };
        if (presence is not null)
        {
            config["presence"] = presence;
        }

        if (broadcast is not null)
        {
            config["broadcast"] = broadcast;
        }

        return config;
    }

    private static string Reason(JsonObject reply) => (string?)reply["response"]?["reason"] ?? "";

    private RealtimeService Service => stack.Server.Services.GetRequiredService<RealtimeService>();

    // ---------------------------------------------------------------- finding 2: regular expressions

    [Fact]
    public async Task One_subscribers_regex_filters_never_hold_up_another_subscribers_delivery()
    {
        // Carol may see her ticket's messages, so her filters really run: 30 bindings of patterns that take exponential
        // time with backtracking. While her socket is held in the middle of that work, Alice's delivery must go out.
        var abuser = Topic("abuser");
        var bindings = new JsonArray();
        bindings.Add(new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ticket_messages", ["filter"] = "body=match.^(a|aa)+!$" });
        for (var i = 0; i < 29; i++)
        {
            bindings.Add(new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ticket_messages", ["filter"] = $"body=match.(a+)+{i}$" });
        }

        var gate = new ManualResetEventSlim();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Service.FilterWorkHook = channel =>
        {
            if (channel.Topic == abuser)
            {
                held.TrySetResult();
                gate.Wait(TimeSpan.FromMinutes(2));
            }
        };
        try
        {
            await using var carol = await stack.ConnectAsync("2.0.0");
            await using var alice = await stack.ConnectAsync("2.0.0");
            var (_, reply) = await carol.SubscribeAsync(abuser, bindings, AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol));
            await alice.SubscribeAsync(Topic("agent"), [new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ticket_messages", ["filter"] = $"ticket_id=eq.{CarolsTicket}" }], AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Alice));
            var body = new string('a', 500) + "!";

            await stack.ExecuteAsync("insert into public.ticket_messages (ticket_id, author_id, visibility, body) values ($1, $2, 'public', $3)", CarolsTicket, AutoCrmStackFixture.Carol, body);

            await held.Task.WaitAsync(RealtimeTestClient.DefaultTimeout, TestContext.Current.CancellationToken);
            var delivered = await alice.NextAsync(f => f.Event == "postgres_changes");
            Assert.Equal(body, (string?)delivered.Payload!["data"]!["record"]!["body"]);

            gate.Set();
            var own = await carol.NextAsync(f => f.Event == "postgres_changes");
            var firstId = (int)reply["response"]!["postgres_changes"]![0]!["id"]!;
            Assert.Equal([firstId], own.Payload!["ids"]!.AsArray().Select(id => (int)id!));
        }
        finally
        {
            Service.FilterWorkHook = null;
            gate.Set();
        }
    }

    // ---------------------------------------------------------------- finding 3: DELETE

    [Fact]
    public async Task The_filters_of_a_delete_reveal_nothing_but_the_primary_key_to_those_row_level_security_hides_the_row_from()
    {
        var ticket = Guid.NewGuid();
        await stack.ExecuteAsync("insert into public.tickets (id, subject, requester_id) values ($1, 'Secret merger with Initech', $2)", ticket, AutoCrmStackFixture.Carol);
        JsonArray Probes() =>
        [
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = "subject=like.Secret%" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = "subject=like.Public%" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = $"id=eq.{ticket}" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = $"requester_id=eq.{AutoCrmStackFixture.Carol}" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = "subject=imatch.initech" },
        ];

        await using var anon = await stack.ConnectAsync("2.0.0");
        await using var dave = await stack.ConnectAsync("2.0.0");
        await using var service = await stack.ConnectAsync("2.0.0");
        var (_, anonReply) = await anon.SubscribeAsync(Topic(), Probes());
        var (_, daveReply) = await dave.SubscribeAsync(Topic(), Probes(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Dave));
        var (_, serviceReply) = await service.SubscribeAsync(Topic(), Probes(), stack.Server.ServiceRoleKey);

        await stack.ExecuteAsync("delete from public.tickets where id = $1", ticket);

        static int[] Ids(JsonObject reply, params int[] which) => [.. which.Select(i => (int)reply["response"]!["postgres_changes"]![i]!["id"]!).Order()];
        static int[] Got(ReceivedFrame frame) => [.. frame.Payload!["ids"]!.AsArray().Select(id => (int)id!).Order()];
        Func<ReceivedFrame, bool> deleted = f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["old_record"]?["id"] == ticket.ToString();

        // Realtime cannot check row-level security on a deleted row, so every subscriber of the table hears of it, with
        // only the primary key; which bindings match may depend on nothing else.
        foreach (var (client, reply) in new[] { (anon, anonReply), (dave, daveReply) })
        {
            var frame = await client.NextAsync(deleted);
            Assert.Equal(Ids(reply, 0, 3), Got(frame));
            Assert.Equal(["id"], frame.Payload!["data"]!["old_record"]!.AsObject().Select(p => p.Key));
        }

        // service_role bypasses row-level security: its filters see the whole old row (the payload stays the key).
        Assert.Equal(Ids(serviceReply, 0, 1, 3, 4, 5), Got(await service.NextAsync(deleted)));
    }

    // ---------------------------------------------------------------- finding 4: channels and bindings per socket

    [Fact]
    public async Task One_anonymous_socket_cannot_join_more_than_100_channels()
    {
        await using var client = await stack.ConnectAsync("2.0.0");
        const int Attempts = 130;
        var refs = new List<string>();
        for (var i = 0; i < Attempts; i++)
        {
            var joinRef = client.NextRef();
            try
            {
                await client.SendAsync(joinRef, joinRef, Topic("flood"), "phx_join", new JsonObject { ["config"] = new JsonObject() });
            }
            catch (WebSocketException) when (client.Closed.IsCompleted)
            {
                break; // the join rate limit closed the socket while the flood was still being sent
            }

            refs.Add(joinRef);
        }

        var ok = 0;
        var reasons = new HashSet<string>();
        try
        {
            foreach (var joinRef in refs)
            {
                var reply = await client.NextAsync(f => f.Event == "phx_reply" && f.Ref == joinRef);
                if ((string?)reply.Payload!["status"] == "ok")
                {
                    ok++;
                }
                else
                {
                    reasons.Add((string?)reply.Payload!["response"]!["reason"] ?? "");
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The join rate limit closed the socket: the joins after it got no reply.
        }

        Assert.Equal(100, ok);
        Assert.NotEmpty(reasons);
        Assert.Subset(new HashSet<string> { "ChannelRateLimitReached: Too many channels", "ClientJoinRateLimitReached: Too many joins per second" }, reasons);
    }

    [Fact]
    public async Task A_channel_cannot_carry_more_than_100_bindings()
    {
        await using var client = await stack.ConnectAsync("2.0.0");
        var bindings = new JsonArray([.. Enumerable.Range(0, 101).Select(i => (JsonNode)new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "tickets", ["filter"] = $"subject=match.x{i}" })]);

        var (_, reply) = await client.JoinAsync(Topic(), new JsonObject { ["postgres_changes"] = bindings });

        Assert.Equal("TooManyBindings: a channel may have at most 100 postgres_changes bindings, got 101", Reason(reply));
    }

    // ---------------------------------------------------------------- finding 7: private channels

    [Fact]
    public async Task Only_staff_who_can_see_the_ticket_join_its_private_viewers_channel()
    {
        var topic = $"realtime:ticket-viewers:{DavesTicket}";
        var cases = new (string Who, string? Token, bool Allowed)[]
        {
            ("anon", null, false),
            ("the requester", AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Dave), false),
            ("another customer", AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol), false),
            ("an agent outside the queue", AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Bob), false),
            ("an agent of the queue", AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Alice), true),
            ("an admin", AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin), true),
            ("service_role", stack.Server.ServiceRoleKey, true),
        };
        foreach (var (who, token, allowed) in cases)
        {
            await using var client = await stack.ConnectAsync("2.0.0");
            var (_, reply) = await client.JoinAsync(topic, Private(new JsonObject { ["enabled"] = true, ["key"] = "" }), token);
            if (allowed)
            {
                Assert.True((string?)reply["status"] == "ok", $"{who} should join: {reply.ToJsonString()}");
                Assert.Equal("presence_state", (await client.NextAsync(f => f.Topic == topic && f.Event != "phx_reply")).Event);
            }
            else
            {
                Assert.True(Reason(reply) == $"Unauthorized: You do not have permissions to read from this Channel topic: ticket-viewers:{DavesTicket}", $"{who}: {reply.ToJsonString()}");
            }
        }
    }

    [Fact]
    public async Task A_viewer_is_present_as_the_signed_in_user_and_invisible_on_the_public_topic_of_the_same_name()
    {
        var topic = $"realtime:ticket-viewers:{CarolsTicket}";
        await using var admin = await stack.ConnectAsync("2.0.0");
        await using var alice = await stack.ConnectAsync("2.0.0");
        await using var snoop = await stack.ConnectAsync("2.0.0");
        await admin.JoinAsync(topic, Private(new JsonObject { ["enabled"] = true, ["key"] = "" }), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));
        var (snoopJoinRef, _) = await snoop.JoinAsync(topic, new JsonObject { ["presence"] = new JsonObject { ["enabled"] = true, ["key"] = "snoop" } });
        var (joinRef, _) = await alice.JoinAsync(topic, Private(new JsonObject { ["enabled"] = true, ["key"] = AutoCrmStackFixture.Admin.ToString() }), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Alice));

        // Alice asks to be keyed as the admin and claims the admin's id in her meta: the key is hers all the same.
        await alice.SendAsync(joinRef, "t1", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["user_id"] = AutoCrmStackFixture.Admin.ToString() } });
        Assert.Equal("ok", (string?)(await alice.NextAsync(f => f.Ref == "t1")).Payload!["status"]);
        var diff = await admin.NextAsync(f => f.Event == "presence_diff");
        Assert.Equal([AutoCrmStackFixture.Alice.ToString()], diff.Payload!["joins"]!.AsObject().Select(p => p.Key));

        // The public topic of the same name is another topic: when the snoop tracks itself there, the first presence it
        // hears of is its own (Alice's diff, sent before, would have come first had it reached the snoop).
        await snoop.SendAsync(snoopJoinRef, "s1", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject() });
        var heard = await snoop.NextAsync(f => f.Topic == topic && f.Event == "presence_diff");
        Assert.Equal(["snoop"], heard.Payload!["joins"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Staff_broadcast_channels_refuse_customers_and_anon_and_nobody_broadcasts_on_a_viewers_channel()
    {
        var agents = "realtime:agents";
        await using var admin = await stack.ConnectAsync("2.0.0");
        await using var bob = await stack.ConnectAsync("2.0.0");
        await using var anon = await stack.ConnectAsync("2.0.0");
        await using var carol = await stack.ConnectAsync("2.0.0");
        await admin.JoinAsync(agents, Private(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));
        var (bobRef, bobReply) = await bob.JoinAsync(agents, Private(broadcast: new JsonObject { ["ack"] = true }), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Bob));
        Assert.Equal("ok", (string?)bobReply["status"]);

        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: agents", Reason((await anon.JoinAsync(agents, Private())).Reply));
        Assert.Equal("Unauthorized: You do not have permissions to read from this Channel topic: agents", Reason((await carol.JoinAsync(agents, Private(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol))).Reply));

        // The public "agents" topic is not the staff channel: what anon sends there never reaches the staff.
        var (anonRef, _) = await anon.JoinAsync(agents, new JsonObject { ["broadcast"] = new JsonObject { ["ack"] = true } });
        await anon.SendAsync(anonRef, "a1", agents, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "fake", ["payload"] = new JsonObject() });
        Assert.Equal("ok", (string?)(await anon.NextAsync(f => f.Ref == "a1")).Payload!["status"]);
        await bob.SendAsync(bobRef, "b1", agents, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "real", ["payload"] = new JsonObject() });
        Assert.Equal("ok", (string?)(await bob.NextAsync(f => f.Ref == "b1")).Payload!["status"]);
        Assert.Equal("real", (string?)(await admin.NextAsync(f => f.Event == "broadcast")).Payload!["event"]);

        // On a viewers channel staff may announce themselves but not broadcast: the push reaches no one, unanswered.
        var viewers = $"realtime:ticket-viewers:{CarolsTicket}";
        await using var alice = await stack.ConnectAsync("2.0.0");
        await admin.JoinAsync(viewers, Private(new JsonObject { ["enabled"] = true, ["key"] = "" }), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));
        var (aliceRef, _) = await alice.JoinAsync(viewers, Private(new JsonObject { ["enabled"] = true, ["key"] = "" }, new JsonObject { ["ack"] = true }), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Alice));
        await alice.SendAsync(aliceRef, "v1", viewers, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "spoof", ["payload"] = new JsonObject() });
        await alice.SendAsync(aliceRef, "v2", viewers, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject() });
        var next = await admin.NextAsync(f => f.Topic == viewers && f.Event is "broadcast" or "presence_diff");
        Assert.Equal("presence_diff", next.Event);
        Assert.Equal("v2", (await alice.NextAsync(f => f.Ref is "v1" or "v2")).Ref);
    }

    [Fact]
    public async Task A_private_http_broadcast_goes_out_only_with_a_token_allowed_to_write_the_topic()
    {
        await using var admin = await stack.ConnectAsync("2.0.0");
        await admin.JoinAsync("realtime:agents:http", Private(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));
        using var http = new HttpClient { BaseAddress = stack.Server.Url };

        async Task PostAsync(string key, string @event)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
            {
                Content = new StringContent($$"""{"messages":[{"topic":"agents:http","event":"{{@event}}","payload":{},"private":true}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("apikey", key);
            request.Headers.Authorization = new("Bearer", key);
            Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode);
        }

        await PostAsync(stack.Server.AnonKey, "from-anon");
        await PostAsync(stack.Server.ServiceRoleKey, "from-service");

        Assert.Equal("from-service", (string?)(await admin.NextAsync(f => f.Event == "broadcast")).Payload!["event"]);
    }

    [Fact]
    public async Task A_new_token_that_lost_read_permission_closes_the_private_channel()
    {
        var user = Guid.NewGuid();
        await stack.ExecuteAsync("insert into auth.users (id, email) values ($1, $2)", user, $"agent-{user:N}@test.local");
        await stack.ExecuteAsync("update public.profiles set role = 'agent' where id = $1", user);
        await using var client = await stack.ConnectAsync("2.0.0");
        var topic = "realtime:agents";
        var (joinRef, reply) = await client.JoinAsync(topic, Private(), AutoCrmStackFixture.TokenFor(user));
        Assert.Equal("ok", (string?)reply["status"]);

        await stack.ExecuteAsync("update public.profiles set role = 'customer' where id = $1", user);
        await client.SendAsync(joinRef, "t", topic, "access_token", new JsonObject { ["access_token"] = AutoCrmStackFixture.TokenFor(user) });

        var system = await client.NextAsync(f => f.Event == "system" && f.Topic == topic);
        Assert.Equal("You no longer have permission to read from this Channel topic: agents", (string?)system.Payload!["message"]);
        await client.NextAsync(f => f.Event == "phx_close" && f.Topic == topic);
    }
}
