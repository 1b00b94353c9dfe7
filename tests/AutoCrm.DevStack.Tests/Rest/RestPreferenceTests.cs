using System.Net;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>Prefer: max-affected with handling=strict (PGRST124/128), tx, first-value-wins, applied order, timezone.</summary>
[Collection("rest")]
public sealed class RestPreferenceTests(RestFixture fx)
{
    private async Task<string> SeedNotesAsync(int count)
    {
        var owner = "pref-" + Guid.NewGuid().ToString("N")[..12];
        var rows = string.Join(",", Enumerable.Range(0, count).Select(i => $"{{\"owner\":\"{owner}\",\"body\":\"b{i}\"}}"));
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_notes", "[" + rows + "]");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return owner;
    }

    private static string? Applied(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Preference-Applied", out var values) ? string.Join(", ", values) : null;

    [Fact]
    public async Task Strict_max_affected_exceeded_is_400_PGRST124_and_nothing_is_deleted()
    {
        var owner = await SeedNotesAsync(3);
        using var response = await fx.SendAsync(HttpMethod.Delete, $"rt_notes?owner=eq.{owner}", headers: [("Prefer", "handling=strict, max-affected=2")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST124", body["code"]!.GetValue<string>());
        Assert.Equal("Query result exceeds max-affected preference constraint", body["message"]!.GetValue<string>());
        Assert.Equal("The query affects 3 rows", body["details"]!.GetValue<string>());
        Assert.Equal(3, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}'"));
    }

    [Fact]
    public async Task Strict_max_affected_within_the_limit_commits_and_is_applied()
    {
        var owner = await SeedNotesAsync(3);
        using var response = await fx.SendAsync(HttpMethod.Delete, $"rt_notes?owner=eq.{owner}", headers: [("Prefer", "handling=strict"), ("Prefer", "max-affected=3")]);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("handling=strict, max-affected=3", Applied(response));
        Assert.Equal(0, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}'"));
    }

    [Fact]
    public async Task Max_affected_without_strict_handling_is_ignored()
    {
        var owner = await SeedNotesAsync(3);
        using var response = await fx.SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}", "{\"n\":42}", headers: [("Prefer", "max-affected=1")]);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(Applied(response));
        Assert.Equal(3, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}' and n = 42"));
    }

    [Fact]
    public async Task Strict_max_affected_on_an_update_rolls_it_back()
    {
        var owner = await SeedNotesAsync(2);
        using var response = await fx.SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}", "{\"n\":43}",
            headers: [("Prefer", "handling=strict, max-affected=1, return=representation")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("The query affects 2 rows", (await JsonAsync(response))!["details"]!.GetValue<string>());
        Assert.Equal(0, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}' and n = 43"));
    }

    [Fact]
    public async Task Strict_max_affected_on_a_set_returning_function_counts_its_rows()
    {
        using var over = await fx.SendAsync(HttpMethod.Post, "rpc/rt_numbers", "{\"n\":5}", headers: [("Prefer", "handling=strict, max-affected=4")]);
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Equal("The query affects 5 rows", (await JsonAsync(over))!["details"]!.GetValue<string>());

        using var within = await fx.SendAsync(HttpMethod.Post, "rpc/rt_numbers", "{\"n\":5}", headers: [("Prefer", "handling=strict, max-affected=5")]);
        Assert.Equal(HttpStatusCode.OK, within.StatusCode);
        Assert.Equal("[1,2,3,4,5]", (await JsonAsync(within))!.ToJsonString());
    }

    [Fact]
    public async Task Strict_max_affected_on_a_function_returning_one_value_is_PGRST128()
    {
        using var response = await fx.SendAsync(HttpMethod.Post, "rpc/rt_add", "{\"a\":1,\"b\":2}", headers: [("Prefer", "handling=strict, max-affected=1")]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST128", body["code"]!.GetValue<string>());
        Assert.Equal("Function must return SETOF or TABLE when max-affected preference is used with handling=strict", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Max_affected_does_not_limit_table_reads()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rt_authors", headers: [("Prefer", "handling=strict, max-affected=1")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, (await JsonAsync(response))!.AsArray().Count);
        Assert.Equal("handling=strict", Applied(response));
    }

    [Fact]
    public async Task Tx_rollback_is_recognised_but_not_applied_as_in_PostgREST_default_config()
    {
        var owner = "tx-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_notes", $"{{\"owner\":\"{owner}\"}}", headers: [("Prefer", "tx=rollback, handling=strict")]);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("handling=strict", Applied(response));
        Assert.Equal(1, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}'"));
    }

    [Fact]
    public async Task The_first_value_of_a_preference_wins()
    {
        var owner = "first-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_notes", $"{{\"owner\":\"{owner}\"}}", headers: [("Prefer", "return=minimal"), ("Prefer", "return=representation")]);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("return=minimal", Applied(response));
    }

    [Fact]
    public async Task Preference_applied_lists_preferences_in_PostgREST_order()
    {
        var owner = "order-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_notes?on_conflict=owner,body", $"{{\"owner\":\"{owner}\"}}",
            headers: [("Prefer", "count=exact, handling=lenient, return=representation, missing=default, resolution=merge-duplicates")]);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("resolution=merge-duplicates, missing=default, return=representation, count=exact, handling=lenient", Applied(response));
    }

    [Fact]
    public async Task An_unknown_timezone_is_an_invalid_preference()
    {
        using var lenient = await fx.SendAsync(HttpMethod.Get, "rt_authors?id=eq.1", headers: [("Prefer", "timezone=Not/AZone")]);
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        Assert.Null(Applied(lenient));

        using var strict = await fx.SendAsync(HttpMethod.Get, "rt_authors?id=eq.1", headers: [("Prefer", "handling=strict, timezone=Not/AZone")]);
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        var body = (await JsonAsync(strict))!;
        Assert.Equal("PGRST122", body["code"]!.GetValue<string>());
        Assert.Equal("Invalid preferences: timezone=Not/AZone", body["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_known_timezone_is_applied_to_the_transaction()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rpc/rt_whoami?select=search_path", headers: [("Prefer", "timezone=Asia/Tokyo")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("timezone=Asia/Tokyo", Applied(response));
    }

    [Fact]
    public async Task Planned_and_estimated_counts()
    {
        using var planned = await fx.SendAsync(HttpMethod.Get, "rt_numbers_view?limit=10", headers: [("Prefer", "count=planned")]);
        Assert.Equal("count=planned", Applied(planned));
        var plannedRange = planned.Content.Headers.GetValues("Content-Range").Single();
        Assert.StartsWith("0-9/", plannedRange, StringComparison.Ordinal);
        Assert.True(long.Parse(plannedRange[4..], System.Globalization.CultureInfo.InvariantCulture) > 0);

        // Under max_rows (1000) the estimate is the exact count.
        using var small = await fx.SendAsync(HttpMethod.Get, "rt_authors", headers: [("Prefer", "count=estimated")]);
        Assert.Equal("0-3/4", small.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal("count=estimated", Applied(small));

        // Over max_rows it is the planner's figure (generate_series's row estimate here), not a count stopped at 1001.
        using var large = await fx.SendAsync(HttpMethod.Get, "rt_numbers_view?limit=10", headers: [("Prefer", "count=estimated")]);
        var range = large.Content.Headers.GetValues("Content-Range").Single();
        Assert.NotEqual("0-9/1001", range);
        Assert.Equal(HttpStatusCode.PartialContent, large.StatusCode);
    }
}
