using System.Net;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Sla;

namespace AutoCrm.WebHost.Tests;

/// <summary>The SLA admin pages over HTTP against the app's real DevStack: what the database or the form refuses comes back
/// as a message beside the form and saves nothing, never a server error; what it accepts reads back through crm.Sla.</summary>
public sealed class SlaPageTests(WebHostFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> BadCalendars => new()
    {
        // time zone, opening hours, holidays → what the page says
        { "Mars/Olympus", "monday 09:00-17:00", "", "field \"time_zone\": \"Mars/Olympus\" is not an IANA time zone name" },
        { "Europe/Berlin", "monday 09:00-12:00\nmonday 11:00-14:00", "", "[1]: overlaps [0] on monday" },
        { "Europe/Berlin", "friday 22:00-02:00", "", "must be after start" },
        { "Europe/Berlin", "monday 25:00-26:00", "", "field \"intervals\": [0]" },
        { "Europe/Berlin", "funday 09:00-17:00", "", "is not \"DAY HH:MM-HH:MM\"" },
        { "Europe/Berlin", "monday 9 to 5", "", "line 1" },
        { "Europe/Berlin", "monday 09:00-17:00", "2026-13-01", "is not a date" },
        { "'; drop table business_hours; --", "monday 09:00-17:00", "", "field \"time_zone\"" },
    };

    [Theory]
    [MemberData(nameof(BadCalendars))]
    public async Task A_refused_calendar_comes_back_with_a_message_beside_the_form_and_nothing_is_saved(
        string zone, string intervals, string holidays, string says)
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        var name = "Bad calendar " + Guid.NewGuid().ToString("N")[..8];
        using var response = await WebHostFixture.PostFormAsync(
            client, "/admin/sla/calendars", new() { ["Name"] = name, ["TimeZone"] = zone, ["Intervals"] = intervals, ["Holidays"] = holidays }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("data-testid=\"sla-error\"", html, StringComparison.Ordinal);
        Assert.Contains(says, html, StringComparison.Ordinal);
        Assert.Contains(name, html, StringComparison.Ordinal); // the form keeps what was typed

        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        Assert.DoesNotContain(await admin.Sla.ListCalendarsAsync(Ct).ToListAsync(Ct), c => c.Name == name);
    }

    public static TheoryData<string, string, string, string, string> BadPolicies => new()
    {
        // position, condition field, condition value, target cell (normal first reply) → what the page says
        { "", "subject", "x", "0", "field \"targets\": normal.first_reply: a whole number of minutes" },
        { "", "subject", "x", "525601", "field \"targets\": normal.first_reply: a whole number of minutes" },
        { "", "subject", "x", "an hour", "is not a whole number of minutes" },
        { "first", "subject", "x", "60", "Position: \"first\" is not a whole number" },
        { "", "message.body", "x", "60", "field \"conditions\": all[0]" },
        { "", "no_such_field", "x", "60", "field \"conditions\": all[0]" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public async Task A_refused_policy_comes_back_with_a_message_beside_the_form_and_nothing_is_saved(
        string position, string field, string value, string target, string says)
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        var name = "Bad policy " + Guid.NewGuid().ToString("N")[..8];
        using var response = await WebHostFixture.PostFormAsync(client, "/admin/sla/policies", new()
        {
            ["Name"] = name, ["Position"] = position, ["Active"] = "true",
            ["cond_group_0"] = "all", ["cond_field_0"] = field, ["cond_op_0"] = "contains", ["cond_value_0"] = value,
            ["target_normal_first_reply"] = target,
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("data-testid=\"sla-error\"", html, StringComparison.Ordinal);
        Assert.Contains(says, html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{target}\"", html, StringComparison.Ordinal); // the grid keeps what was typed

        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        Assert.DoesNotContain(await admin.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct), p => p.Name == name);
    }

    [Fact]
    public async Task An_admin_saves_a_calendar_and_a_policy_counted_in_it_and_a_calendar_in_use_is_not_deleted()
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        var run = Guid.NewGuid().ToString("N")[..8];

        using (var saved = await WebHostFixture.PostFormAsync(client, "/admin/sla/calendars", new()
        {
            ["Name"] = "Berlin " + run, ["TimeZone"] = "Europe/Berlin",
            ["Intervals"] = "monday 09:00-12:30\r\nmonday 13:30-18:00\r\n\r\ntuesday 9:00-18:00", ["Holidays"] = "2026-12-25, 2026-12-24",
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        }

        var calendar = Assert.Single(await admin.Sla.ListCalendarsAsync(Ct).ToListAsync(Ct), c => c.Name == "Berlin " + run);
        SlaPolicy? policy = null;
        try
        {
            Assert.Equal("Europe/Berlin", calendar.TimeZone);
            Assert.Equal(["monday 09:00-12:30", "monday 13:30-18:00", "tuesday 09:00-18:00"],
                calendar.Intervals.Select(i => $"{i.Day.ToString().ToLowerInvariant()} {i.Start}-{i.End}"));
            Assert.Equal([new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 25)], calendar.Holidays);

            // A policy for this run's tag only (so it starts no clocks on other tests' tickets), counted in the calendar.
            using (var saved = await WebHostFixture.PostFormAsync(client, "/admin/sla/policies", new()
            {
                ["Name"] = "Policy " + run, ["Position"] = "", ["Active"] = "true", ["CalendarId"] = calendar.Id.ToString(),
                ["cond_group_0"] = "all", ["cond_field_0"] = "tags", ["cond_op_0"] = "contains", ["cond_value_0"] = "sla-page-" + run,
                ["target_urgent_first_reply"] = "30", ["target_urgent_resolution"] = "240", ["target_normal_first_reply"] = " 60 ",
            }, Ct))
            {
                Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
            }

            policy = Assert.Single(await admin.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct), p => p.Name == "Policy " + run);
            Assert.Equal(calendar.Id, policy.BusinessHoursId);
            Assert.Equal(new SlaTargets { FirstReply = 30, Resolution = 240 }, policy.Targets["urgent"]);
            Assert.Equal(new SlaTargets { FirstReply = 60 }, policy.Targets["normal"]);
            Assert.False(policy.Targets.ContainsKey("high"));

            // The list shows both; the calendar in use cannot be deleted, and the page says why.
            var list = WebUtility.HtmlDecode(await client.GetStringAsync("/admin/sla", Ct));
            Assert.Contains("urgent: first reply 30 min, resolution 4 h; normal: first reply 1 h", list, StringComparison.Ordinal);
            using (var refused = await WebHostFixture.PostFormAsync(client, "/admin/sla?handler=DeleteCalendar", new() { ["Id"] = calendar.Id.ToString() }, Ct, formPage: "/admin/sla"))
            {
                Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            }

            var after = await client.GetStringAsync("/admin/sla", Ct);
            Assert.Contains("class=\"flash error\"", after, StringComparison.Ordinal);
            Assert.Contains(await admin.Sla.ListCalendarsAsync(Ct).ToListAsync(Ct), c => c.Id == calendar.Id);

            // The edit form shows the policy as saved; saved again with "calendar time", it no longer counts in the calendar.
            var edit = WebUtility.HtmlDecode(await client.GetStringAsync($"/admin/sla/policies/{policy.Id}", Ct));
            Assert.Contains("name=\"target_urgent_resolution\" value=\"240\"", edit, StringComparison.Ordinal);
            using (var saved = await WebHostFixture.PostFormAsync(client, $"/admin/sla/policies/{policy.Id}", new()
            {
                ["Name"] = "Policy " + run, ["Position"] = policy.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Active"] = "true", ["CalendarId"] = "",
                ["cond_group_0"] = "all", ["cond_field_0"] = "tags", ["cond_op_0"] = "contains", ["cond_value_0"] = "sla-page-" + run,
                ["target_urgent_first_reply"] = "30",
            }, Ct))
            {
                Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
            }

            var changed = await admin.Sla.GetPolicyAsync(policy.Id, Ct);
            Assert.Null(changed.BusinessHoursId);
            Assert.Equal(["urgent"], changed.Targets.Keys);
        }
        finally
        {
            if (policy is not null)
            {
                await admin.Sla.DeletePolicyAsync(policy.Id, Ct);
            }

            await admin.Sla.DeleteCalendarAsync(calendar.Id, Ct);
        }
    }

    [Fact]
    public async Task Agents_read_no_SLA_admin_page()
    {
        using var client = await app.SignInAsync("agent.bob@autocrm.demo", Ct);
        foreach (var path in new[] { "/admin/sla", "/admin/sla/calendars", "/admin/sla/policies" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }
}
