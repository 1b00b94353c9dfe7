using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Search;

/// <summary>The ticket query language: every key and operator, error positions, and round-trips with <see cref="TicketQuery"/>.</summary>
public sealed class TicketSearchQueryTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    private static TicketSearchQuery Parse(string text) => TicketSearchQuery.Parse(text, Clock);

    [Fact]
    public void Status_takes_a_list_and_a_negation()
    {
        Assert.Equal([TicketStatus.Open, TicketStatus.Pending], Parse("status:open,pending").Filter.Statuses);
        Assert.Equal([TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold], Parse("-status:solved,closed").Filter.Statuses);
        Assert.Equal([TicketStatus.OnHold], Parse("status:on_hold").Filter.Statuses);
        Assert.Equal([TicketStatus.Open], Parse("status:open,pending -status:pending").Filter.Statuses);
    }

    [Fact]
    public void Priority_takes_comparisons()
    {
        Assert.Equal([TicketPriority.High, TicketPriority.Urgent], Parse("priority>=high").Filter.Priorities);
        Assert.Equal([TicketPriority.Urgent], Parse("priority>high").Filter.Priorities);
        Assert.Equal([TicketPriority.Low], Parse("priority<normal").Filter.Priorities);
        Assert.Equal([TicketPriority.Low, TicketPriority.Normal], Parse("priority<=normal").Filter.Priorities);
        Assert.Equal([TicketPriority.Low, TicketPriority.Urgent], Parse("priority:low,urgent").Filter.Priorities);
        Assert.Equal([TicketPriority.Normal, TicketPriority.High, TicketPriority.Urgent], Parse("-priority:low").Filter.Priorities);
    }

    [Fact]
    public void Tags_all_any_and_none()
    {
        var q = Parse("tag:billing tag:vip -tag:spam,test tag:a,b").Filter;
        Assert.Equal(["billing", "vip"], q.TagsAll);
        Assert.Equal(["spam", "test"], q.TagsNone);
        Assert.Equal(["a", "b"], q.TagsAny);
        Assert.Equal(["needs review"], Parse("tag:\"needs review\"").Filter.TagsAll);
    }

    [Fact]
    public void Queue_assignee_and_requester()
    {
        Assert.Equal("general", Parse("queue:general").Filter.QueueSlug);
        Assert.True(Parse("queue:none").Filter.Unqueued);
        var id = Guid.Parse("0193a1b2-0000-7000-8000-000000000001");
        Assert.Equal(id, Parse($"queue:{id}").Filter.QueueId);
        Assert.True(Parse("assignee:me").Filter.AssignedToMe);
        Assert.True(Parse("assignee:none").Filter.Unassigned);
        Assert.Equal("bob@autocrm.demo", Parse("assignee:bob@autocrm.demo").Filter.AssigneeEmail);
        Assert.Equal(id, Parse($"assignee:{id}").Filter.AssigneeId);
        Assert.True(Parse("requester:me").Filter.RequestedByMe);
        Assert.Equal("carol@customer.demo", Parse("requester:carol@customer.demo").Filter.RequesterEmail);
        Assert.Equal(id, Parse($"requester:{id}").Filter.RequesterId);
    }

    [Fact]
    public void Dates_timestamps_and_ages()
    {
        var day = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(day.AddDays(1), Parse("created>2026-01-01").Filter.CreatedFrom);
        Assert.Equal(day, Parse("created>=2026-01-01").Filter.CreatedFrom);
        Assert.Equal(day, Parse("created<2026-01-01").Filter.CreatedTo);
        Assert.Equal(day.AddDays(1), Parse("created<=2026-01-01").Filter.CreatedTo);
        var on = Parse("created:2026-01-01").Filter;
        Assert.Equal((day, day.AddDays(1)), (on.CreatedFrom!.Value, on.CreatedTo!.Value));
        Assert.Equal(Clock.GetUtcNow().AddDays(-7), Parse("updated<7d").Filter.UpdatedFrom);
        Assert.Equal(Clock.GetUtcNow().AddHours(-12), Parse("updated>12h").Filter.UpdatedTo);
        Assert.Equal(Clock.GetUtcNow().AddMonths(-3), Parse("updated<3mo").Filter.UpdatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 14, 30, 0, TimeSpan.Zero), Parse("updated>=2026-03-01T14:30:00Z").Filter.UpdatedFrom);
    }

    [Fact]
    public void Fields_subject_and_metadata()
    {
        var q = Parse("field.plan:pro,business -field.region:eu subject:\"refund request\" metadata:'{\"channel\":\"email\"}'").Filter;
        Assert.Equal(["pro", "business"], q.Fields!["plan"]);
        Assert.Equal(["eu"], q.ExcludedFields!["region"]);
        Assert.Equal("refund request", q.SubjectContains);
        Assert.Equal("email", q.MetadataContains!["channel"]?.GetString());
    }

    [Fact]
    public void Free_text_keeps_phrases_exclusions_or_and_numbers_as_typed()
    {
        var search = Parse("status:open \"printer jam\" -toner or scanner #123 Re: help");
        Assert.Equal("\"printer jam\" -toner or scanner #123 Re: help", search.Text);
        Assert.True(search.HasText);
        Assert.False(Parse("status:open").HasText);
        Assert.Equal("https://example.com/a", Parse("https://example.com/a").Text);
    }

    [Theory]
    [InlineData("colour:red", 0, "colour:red", "Unknown filter 'colour'")]
    [InlineData("printer stauts:open", 8, "stauts:open", "did you mean 'status'?")]
    [InlineData("status:opened", 0, "status:opened", "'opened' is not a status")]
    [InlineData("a priority>=extreme", 2, "priority>=extreme", "'extreme' is not a priority")]
    [InlineData("status:", 0, "status:", "'status' needs a value")]
    [InlineData("tag:a,", 0, "tag:a,", "A list ends with a comma")]
    [InlineData("subject:\"open", 0, "subject:\"open", "The quote in this value is not closed")]
    [InlineData("created>yesterday", 0, "created>yesterday", "is not a date")]
    [InlineData("updated:7d", 0, "updated:7d", "An age takes < or >")]
    [InlineData("assignee:bob", 0, "assignee:bob", "'bob' is not an assignee")]
    [InlineData("queue:a queue:b", 8, "queue:b", "Only one queue filter")]
    [InlineData("status:open -status:open", 12, "-status:open", "No status is left")]
    [InlineData("metadata:'[1]'", 0, "metadata:'[1]'", "metadata takes a JSON object")]
    [InlineData("field:plan", 0, "field:plan", "field.<name>:value")]
    [InlineData("tag>x", 0, "tag>x", "'tag' takes ':'")]
    public void Errors_name_the_token_and_its_position(string text, int position, string token, string message)
    {
        Assert.False(TicketSearchQuery.TryParse(text, out var result, out var problem, Clock));
        Assert.Null(result);
        Assert.Equal(position, problem!.Position);
        Assert.Equal(token, problem.Token);
        Assert.Equal(token.Length, problem.Length);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position + 1}", problem.Message, StringComparison.Ordinal);

        var ex = Assert.Throws<CrmValidationException>(() => TicketSearchQuery.Parse(text, Clock));
        Assert.Equal("invalid_query", ex.Code);
        Assert.Equal("query", ex.Field);
        Assert.Contains($"\"position\":{position}", ex.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void A_query_over_1000_characters_is_refused()
    {
        var ex = Assert.Throws<CrmValidationException>(() => TicketSearchQuery.Parse(new string('x', 1001), Clock));
        Assert.Contains("1000", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status:open,pending priority>=high tag:billing -tag:spam queue:general assignee:me requester:carol@customer.demo created>2026-01-01 updated<7d field.plan:pro \"exact phrase\" free words")]
    [InlineData("-status:closed priority<=normal queue:none assignee:none tag:a,b")]
    [InlineData("subject:\"say \\\"hi\\\"\" metadata:'{\"a\":[1,2]}' field.tier:\"gold plus\",silver -field.region:eu")]
    [InlineData("created:2026-02-03 updated>=2026-03-01T14:30:00.5Z printer")]
    [InlineData("just text -with \"a phrase\" or #42")]
    public void Text_parses_renders_and_parses_to_the_same_query(string text)
    {
        var first = Parse(text);
        var rendered = first.ToString();
        var second = Parse(rendered);
        Assert.Equal(rendered, second.ToString());
        Assert.Equal(Fingerprint(first), Fingerprint(second));
    }

    [Fact]
    public void A_TicketQuery_renders_to_text_that_parses_back_to_it()
    {
        var query = new TicketQuery
        {
            Statuses = [TicketStatus.New, TicketStatus.Open],
            Priorities = [TicketPriority.High, TicketPriority.Urgent],
            QueueId = Guid.Parse("0193a1b2-0000-7000-8000-000000000009"),
            Unassigned = true,
            RequesterEmail = "carol@customer.demo",
            TagsAll = ["billing", "two words"],
            TagsNone = ["spam"],
            Fields = new Dictionary<string, IReadOnlyList<string>> { ["plan"] = ["pro", "business"] },
            SubjectContains = "refund, please",
            CreatedFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            UpdatedTo = new DateTimeOffset(2026, 6, 1, 8, 15, 0, TimeSpan.Zero),
        };
        var text = TicketSearchQuery.From(query, "printer").ToString();
        Assert.Equal(
            "status:new,open priority>=high queue:0193a1b2-0000-7000-8000-000000000009 assignee:none requester:carol@customer.demo "
            + "tag:billing tag:\"two words\" -tag:spam field.plan:pro,business subject:\"refund, please\" created>=2026-01-01 "
            + "updated<2026-06-01T08:15:00Z printer",
            text);
        var back = Parse(text);
        Assert.Equal("printer", back.Text);
        Assert.Equal(Fingerprint(TicketSearchQuery.From(query, "printer")), Fingerprint(back));
    }

    [Fact]
    public void Random_input_parses_or_fails_with_a_problem_never_an_exception()
    {
        var random = new Random(14);
        const string alphabet = "ab:-\"',<>=.#@ \t\\{}[]()*|&!/é日🎉0123456789statuspriorityfieldtagcreated";
        for (var i = 0; i < 5_000; i++)
        {
            var length = random.Next(0, i % 50 == 0 ? 1200 : 40);
            var text = new string([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            if (TicketSearchQuery.TryParse(text, out var result, out var problem, Clock))
            {
                var again = Parse(result.ToString());
                Assert.Equal(Fingerprint(result), Fingerprint(again));
            }
            else
            {
                Assert.InRange(problem.Position, 0, text.Length);
                Assert.False(string.IsNullOrWhiteSpace(problem.Message));
            }
        }
    }

    private static string Fingerprint(TicketSearchQuery search)
    {
        var q = search.Filter;
        static string List<T>(IEnumerable<T>? values) => values is null ? "-" : string.Join(",", values);
        static string Map(IReadOnlyDictionary<string, IReadOnlyList<string>>? map) =>
            map is null ? "-" : string.Join(";", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + string.Join(",", p.Value)));
        return string.Join("|", search.Text, List(q.Statuses), List(q.Priorities), List((q.TagsAll ?? []).Concat(q.TagsAny?.Count == 1 ? q.TagsAny : []).Distinct()),
            List(q.TagsAny?.Count > 1 ? q.TagsAny : null), List(q.TagsNone), q.QueueId, q.QueueSlug, q.Unqueued, q.AssigneeId, q.AssigneeEmail,
            q.AssignedToMe, q.Unassigned, q.RequesterId, q.RequesterEmail, q.RequestedByMe, Map(q.Fields), Map(q.ExcludedFields), q.SubjectContains,
            q.MetadataContains?.ToString(), q.CreatedFrom?.UtcTicks, q.CreatedTo?.UtcTicks, q.UpdatedFrom?.UtcTicks, q.UpdatedTo?.UtcTicks);
    }
}
