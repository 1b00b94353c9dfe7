using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>Custom fields over Realtime: agent-only values never reach a customer's socket.</summary>
public sealed partial class AutoCrmRealtimeTests
{
    [Fact]
    public async Task A_customer_subscribed_to_her_tickets_never_receives_an_agent_only_field_value()
    {
        await stack.ExecuteAsync("""
            insert into public.ticket_fields (key, label, type, options, customer_visible, customer_editable)
            values ('rt_secret', 'Secret', 'text', '[]', false, false),
                   ('rt_plan', 'Plan', 'dropdown', '["basic", "plus"]', true, true)
            on conflict (key) do nothing
            """);
        var carols = await TicketOfAsync(AutoCrmStackFixture.Carol);
        Assert.Contains(carols, await stack.VisibleTicketsAsync(AutoCrmStackFixture.Admin));
        var run = Guid.NewGuid().ToString("N");
        var secret = "agent-only-" + run;

        // Carol listens to everything a customer could listen to; Alice (staff) to the history, as a positive control.
        await using var carol = await stack.ConnectAsync("2.0.0");
        await carol.SubscribeAsync(Topic(),
        [
            new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "tickets" },
            new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "ticket_events" },
        ], AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol));
        await using var staff = await stack.ConnectAsync();
        await staff.SubscribeAsync(Topic(), [new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "ticket_events" }],
            AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));

        // Staff set the agent-only field both ways, through the DevStack's REST API as a signed-in admin, then change a
        // customer-visible field last, which is the sentinel Carol waits for.
        var admin = AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin);
        await RestAsync(HttpMethod.Patch, $"tickets?id=eq.{carols}", new JsonObject { ["metadata"] = new JsonObject { ["run"] = run, ["rt_secret"] = secret + "-1" } }, admin);
        await RestAsync(HttpMethod.Post, "rpc/set_ticket_field", new JsonObject { ["ticket_id"] = carols.ToString(), ["key"] = "rt_secret", ["value"] = secret + "-2" }, admin);
        await RestAsync(HttpMethod.Patch, $"tickets?id=eq.{carols}", new JsonObject { ["metadata"] = new JsonObject { ["run"] = run, ["rt_plan"] = "plus" } }, admin);

        var frames = new List<ReceivedFrame>();
        bool sawTicket = false, sawEvent = false;
        while (!(sawTicket && sawEvent))
        {
            var frame = await carol.NextAsync(f => f.Event == "postgres_changes");
            frames.Add(frame);
            var data = frame.Payload!["data"]!;
            sawTicket |= (string?)data["table"] == "tickets" && (string?)data["record"]?["metadata"]?["rt_plan"] == "plus";
            sawEvent |= (string?)data["table"] == "ticket_events" && data["record"]?["changes"]?["rt_plan"] is not null;
        }

        var ticketUpdates = frames.Where(f => (string?)f.Payload!["data"]!["table"] == "tickets" && (string?)f.Payload!["data"]!["record"]?["metadata"]?["run"] == run).ToList();
        Assert.Equal(3, ticketUpdates.Count); // she saw every change of her ticket (the version moved)...
        Assert.All(frames, f => Assert.DoesNotContain("agent-only-", f.Raw, StringComparison.Ordinal)); // ...but never the value
        Assert.DoesNotContain(frames, f => (string?)f.Payload!["data"]!["record"]?["visibility"] == "internal");

        var staffEvent = await staff.NextAsync(f => f.Event == "postgres_changes" && f.Raw.Contains(secret + "-2", StringComparison.Ordinal));
        Assert.Equal("internal", (string?)staffEvent.Payload!["data"]!["record"]!["visibility"]);
    }

    [Fact]
    public async Task The_agent_only_values_table_is_not_published_to_realtime()
    {
        await using var client = await stack.ConnectAsync();
        var topic = Topic();
        await client.JoinAsync(topic, new JsonObject
        {
            ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "ticket_agent_fields" }),
        }, AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Admin));

        var system = await client.NextAsync(f => f.Event == "system" && f.Topic == topic);
        Assert.Equal("error", (string?)system.Payload!["status"]);
    }

    private async Task RestAsync(HttpMethod method, string path, JsonObject body, string token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(stack.Server.Url, "/rest/v1/") };
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("apikey", stack.Server.AnonKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }
}
