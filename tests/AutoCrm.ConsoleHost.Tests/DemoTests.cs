using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutoCrm.ConsoleHost.Tests;

public sealed partial class DemoTests(DevStackFixture stack)
{
    private static void AssertConsistent(JsonElement summary, int tickets)
    {
        Assert.True(summary.GetProperty("consistent").GetBoolean(), summary.ToString());
        Assert.Equal(tickets, summary.GetProperty("tickets_filed").GetInt32());
        Assert.Equal(tickets, summary.GetProperty("tickets_by_status").EnumerateObject().Sum(p => p.Value.GetInt32()));

        // Every ticket is claimed exactly once (reopened tickets go back to their assignee).
        Assert.Equal(tickets, summary.GetProperty("claims_per_agent").EnumerateObject().Sum(p => p.Value.GetInt32()));
        var statusMade = summary.GetProperty("status_changes_made").GetInt32();
        Assert.True(statusMade >= 2 * tickets, summary.ToString());
        Assert.Equal(statusMade, summary.GetProperty("status_events_received").GetInt32());
        Assert.Equal(summary.GetProperty("queue_updates_made").GetInt32(), summary.GetProperty("queue_updates_received").GetInt32());
        Assert.True(summary.GetProperty("median_first_response_seconds").GetDouble() >= 0);
        Assert.Equal(0, summary.GetProperty("tickets_by_status").GetProperty("new").GetInt32());

        // The automation step: the rule routed the refund ticket in the same transaction; the agent's macro applied.
        var automation = summary.GetProperty("automation");
        Assert.StartsWith("billing-", automation.GetProperty("queue").GetString(), StringComparison.Ordinal);
        Assert.Equal("high", automation.GetProperty("priority").GetString());
        Assert.Contains("refund", automation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(1, automation.GetProperty("rule_firings").GetInt32());
        Assert.Equal("pending", automation.GetProperty("status_after_macro").GetString());
        Assert.EndsWith("is on its way.", automation.GetProperty("macro_reply").GetString(), StringComparison.Ordinal);

        // The integrations step: a signed webhook reached the local receiver and verified; search found the run's tickets;
        // a solved ticket was rated and the day's report for its queue counts the rating.
        var integrations = summary.GetProperty("integrations");
        Assert.Equal("ticket.created", integrations.GetProperty("webhook_event").GetString());
        Assert.True(integrations.GetProperty("webhook_signature_verified").GetBoolean(), integrations.ToString());
        Assert.True(integrations.GetProperty("webhook_ticket_number").GetInt64() > 0, integrations.ToString());
        Assert.True(integrations.GetProperty("search_hits").GetInt32() >= 2, integrations.ToString());
        if (summary.GetProperty("tickets_by_status").TryGetProperty("solved", out var solved) && solved.GetInt32() > 0)
        {
            Assert.True(integrations.GetProperty("rated_ticket_number").GetInt64() > 0, integrations.ToString());
            Assert.True(integrations.GetProperty("report_solved").GetInt64() > 0, integrations.ToString());
            Assert.True(integrations.GetProperty("csat_percent").GetDecimal() > 0, integrations.ToString());
        }
    }

    [Fact]
    public async Task Demo_with_nothing_configured_runs_on_a_throwaway_devstack_and_exits_0()
    {
        var result = await stack.Cli(configured: false).RunAsync("demo", "--json", "--tickets", "6");
        Assert.True(result.ExitCode == 0, result.ToString());
        AssertConsistent(result.Json, 6);
    }

    [Fact]
    public async Task Demo_against_a_project_url_prints_the_summary_and_can_run_again()
    {
        var cli = stack.Cli();
        var first = await cli.RunAsServiceAsync("demo", "--tickets", "5", "--agents", "2", "--customers", "2");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("demo summary", first.Text, StringComparison.Ordinal);
        Assert.Contains("status changes: made / received", first.Text, StringComparison.Ordinal);
        Assert.Contains("match", first.Text, StringComparison.Ordinal);

        var second = await cli.RunAsServiceAsync("demo", "--json", "--tickets", "4", "--agents", "2", "--customers", "2");
        Assert.True(second.ExitCode == 0, second.ToString());
        AssertConsistent(second.Json, 4);
    }

    [Fact]
    public async Task Demo_in_a_terminal_at_a_pace_names_tickets_by_number_in_the_live_events()
    {
        var result = await new Cli(stack, terminal: true).RunAsServiceAsync("demo", "--tickets", "3", "--agents", "1", "--customers", "1", "--pace", "0.01");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = EventRow().Matches(result.Text).Select(m => m.Groups["ticket"].Value.Trim()).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, ticket => Assert.Matches(@"^(#\d+|\(other\))$", ticket));
        Assert.Contains(rows, ticket => ticket.StartsWith('#'));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("11")]
    public async Task Demo_refuses_a_pace_outside_0_to_10_seconds(string pace)
    {
        var result = await stack.Cli().RunAsServiceAsync("demo", "--pace", pace);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--pace", result.Error + result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_against_a_project_needs_the_service_key()
    {
        var result = await stack.Cli().RunAsync("demo");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("service_role", result.Error, StringComparison.Ordinal);
    }

    /// <summary>A row of the live events table: stream, ticket, change.</summary>
    [GeneratedRegex(@"(tickets:status_change|queue:updates)\s*[│|](?<ticket>[^│|]*)[│|]")]
    private static partial Regex EventRow();
}
