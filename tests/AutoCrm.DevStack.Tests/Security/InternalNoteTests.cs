using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Tests.Realtime;

namespace AutoCrm.DevStack.Tests.Security;

/// <summary>
/// A customer watching their own ticket (REST reads and a realtime subscription) while an agent writes internal notes
/// on it: nothing the customer can observe changes until the agent replies in public.
/// </summary>
[Collection("seeded-security")]
public sealed class InternalNoteTests(SeededStackFixture stack)
{
    private const string Carol = "carol@customer.demo";
    private const string Alice = "agent.alice@autocrm.demo";

    [Fact]
    public async Task A_customer_cannot_count_or_time_internal_notes_on_their_ticket()
    {
        var carol = await stack.TokenAsync(Carol);
        var alice = await stack.TokenAsync(Alice);
        var ticket = await stack.RestAsync(HttpMethod.Get, $"tickets?id=eq.{SeededStackFixture.Ticket}&select=version,updated_at", carol,
            headers: ("Accept", "application/vnd.pgrst.object+json"));

        await using var realtime = await RealtimeTestClient.ConnectAsync(stack.Server.Url, stack.Server.AnonKey);
        await realtime.SubscribeAsync("realtime:carol-watch", [new JsonObject
        {
            ["event"] = "UPDATE", ["schema"] = "public", ["table"] = "tickets", ["filter"] = "id=eq." + SeededStackFixture.Ticket,
        }], carol);

        foreach (var note in new[] { "first internal note", "second internal note" })
        {
            await stack.RestAsync(HttpMethod.Post, "ticket_messages", alice,
                new JsonObject { ["ticket_id"] = SeededStackFixture.Ticket, ["body"] = note, ["visibility"] = "internal" }.ToJsonString());
        }

        var after = await stack.RestAsync(HttpMethod.Get, $"tickets?id=eq.{SeededStackFixture.Ticket}&select=version,updated_at", carol,
            headers: ("Accept", "application/vnd.pgrst.object+json"));
        Assert.Equal(ticket!.ToJsonString(), after!.ToJsonString());
        Assert.Empty((await stack.RestAsync(HttpMethod.Get, "ticket_staff_activity", carol))!.AsArray());
        using (var count = await stack.SendAsync(HttpMethod.Head, $"/rest/v1/ticket_messages?ticket_id=eq.{SeededStackFixture.Ticket}", carol, headers: ("Prefer", "count=exact")))
        {
            var visible = (await stack.RestAsync(HttpMethod.Get, $"ticket_messages?ticket_id=eq.{SeededStackFixture.Ticket}&select=id", carol))!.AsArray().Count;
            Assert.EndsWith("/" + visible, count.Content.Headers.GetValues("Content-Range").Single(), StringComparison.Ordinal);
        }

        // Staff keep the signal the notes used to give through updated_at.
        var activity = (await stack.RestAsync(HttpMethod.Get, $"ticket_staff_activity?ticket_id=eq.{SeededStackFixture.Ticket}", alice))!.AsArray();
        Assert.Equal("a0000000-0000-4000-8000-000000000002", Assert.Single(activity)!["last_internal_note_by"]!.GetValue<string>());

        // The first change Carol's subscription delivers is the public reply's, one version after what she read.
        await stack.RestAsync(HttpMethod.Post, "ticket_messages", alice,
            new JsonObject { ["ticket_id"] = SeededStackFixture.Ticket, ["body"] = "We are on it.", ["visibility"] = "public" }.ToJsonString());
        var update = await realtime.NextAsync(f => f.Event == "postgres_changes");
        Assert.Equal(ticket["version"]!.GetValue<int>() + 1, update.Payload!["data"]!["record"]!["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_customer_cannot_read_or_write_staff_activity()
    {
        var carol = await stack.TokenAsync(Carol);
        using var insert = await stack.SendAsync(HttpMethod.Post, "/rest/v1/ticket_staff_activity", carol,
            new JsonObject { ["ticket_id"] = SeededStackFixture.Ticket, ["last_internal_note_at"] = "2000-01-01T00:00:00Z" }.ToJsonString());
        Assert.Equal(HttpStatusCode.Forbidden, insert.StatusCode);
        using var anon = await stack.SendAsync(HttpMethod.Get, "/rest/v1/ticket_staff_activity", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anon.StatusCode);
    }
}
