using AutoCrm.DataGenerator;

namespace AutoCrm.Sdk.Tests.Scale;

public sealed class DataGeneratorTests
{
    private static readonly CrmDataOptions Options = new() { Tickets = 3_000, Queues = 8 };

    [Fact]
    public void The_same_options_generate_the_same_data_and_another_seed_different_data()
    {
        var first = new CrmDataGenerator(Options).Tickets().ToList();
        var second = new CrmDataGenerator(Options).Tickets().ToList();
        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(Fingerprint(first[i]), Fingerprint(second[i]));
        }

        var other = new CrmDataGenerator(Options with { Seed = 2 }).Tickets().Take(50).ToList();
        Assert.True(other.Count(t => first[t.Index].Subject == t.Subject) < 10, "another seed gives other subjects");
        Assert.NotEqual(new CrmDataGenerator(Options).Data.Customers[0].Id, new CrmDataGenerator(Options with { Seed = 2 }).Data.Customers[0].Id);
    }

    [Fact]
    public void A_ticket_generated_alone_equals_the_same_ticket_generated_in_sequence()
    {
        var generator = new CrmDataGenerator(Options);
        var sequence = generator.Tickets(numberOffset: 12, eventIdOffset: 40).ToList();
        foreach (var index in new[] { 0, 1, 777, 2_999 })
        {
            Assert.Equal(Fingerprint(sequence[index]), Fingerprint(generator.Ticket(index, numberOffset: 12, eventIdOffset: 40)));
        }

        Assert.Equal(13, sequence[0].Number);
    }

    [Fact]
    public void Tickets_are_consistent_with_what_the_database_triggers_would_have_written()
    {
        var generator = new CrmDataGenerator(Options);
        var data = generator.Data;
        var eventIds = new HashSet<long>();
        foreach (var t in generator.Tickets())
        {
            Assert.InRange(t.CreatedAt, Options.End.AddYears(-4), Options.End);
            Assert.True(t.UpdatedAt >= t.CreatedAt && t.UpdatedAt <= Options.End, $"#{t.Number} updated_at");
            Assert.Equal(t.Status is "solved" or "closed", t.SolvedAt is not null);
            Assert.Equal(t.Status == "closed", t.ClosedAt is not null);
            if (t.AssigneeId is { } assignee && t.QueueId is { } queue)
            {
                Assert.Contains(assignee, data.Queues.Single(q => q.Id == queue).AgentIds);
            }

            Assert.Equal(t.RequesterId, t.Messages[0].AuthorId);
            Assert.Equal(t.CreatedAt, t.Messages[0].CreatedAt);
            Assert.All(t.Messages, m => Assert.InRange(m.CreatedAt, t.CreatedAt, m.Internal ? Options.End : t.UpdatedAt)); // internal notes do not touch the ticket
            Assert.Equal(t.Messages.Where(m => !m.Internal && m.AuthorId != t.RequesterId).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefault(), t.FirstResponseAt);
            Assert.Equal("created", t.Events[0].Kind);
            Assert.All(t.Events, e => Assert.True(eventIds.Add(e.Id), "event ids are unique"));
            var lastStatus = t.Events.LastOrDefault(e => e.Kind == "status_changed");
            Assert.Equal(t.Status, lastStatus is null ? "new" : System.Text.Json.JsonDocument.Parse(lastStatus.ChangesJson).RootElement.GetProperty("status")[1].GetString());
            Assert.True(t.Version >= t.Messages.Count(m => !m.Internal) + 1);
        }
    }

    [Fact]
    public void The_mix_looks_like_a_help_desk_with_years_of_history()
    {
        var generator = new CrmDataGenerator(Options);
        var tickets = generator.Tickets().ToList();
        var closedShare = tickets.Count(t => t.Status == "closed") / (double)tickets.Count;
        Assert.InRange(closedShare, 0.75, 0.97);
        Assert.InRange(tickets.Count(t => t.Status is "new" or "open") / (double)tickets.Count, 0.01, 0.15);
        Assert.InRange(tickets.Average(t => t.Messages.Count), 2.5, 4.0);
        Assert.InRange(tickets.Count(t => t.Messages.Any(m => m.Internal)) / (double)tickets.Count, 0.1, 0.6);
        Assert.True((tickets[^1].CreatedAt - tickets[0].CreatedAt).TotalDays > 2.5 * 365);

        // Numbers follow creation time; the busiest queue and customer come first.
        Assert.True(tickets.Zip(tickets.Skip(1)).Count(p => p.Second.CreatedAt < p.First.CreatedAt) < tickets.Count / 20);
        var byQueue = tickets.Where(t => t.QueueId is not null).GroupBy(t => t.QueueId).OrderByDescending(g => g.Count()).First().Key;
        Assert.Equal(generator.Data.Queues[0].Id, byQueue);

        // Subject words are skewed: the most common object is in a large share, product names in few.
        var login = tickets.Count(t => t.Subject.Contains("login", StringComparison.OrdinalIgnoreCase));
        var rare = tickets.Count(t => t.Subject.Contains(generator.ProductNames[3_000], StringComparison.Ordinal));
        Assert.True(login > tickets.Count / 20, $"'login' in {login} subjects");
        Assert.True(rare < 5, $"a rare product name in {rare} subjects");
    }

    private static string Fingerprint(GeneratedTicket t) =>
        string.Join('|', t.Id, t.Number, t.Subject, t.Status, t.Priority, t.RequesterId, t.AssigneeId, t.QueueId, string.Join(',', t.Tags), t.MetadataJson,
            t.Version, t.CreatedAt.UtcTicks, t.UpdatedAt.UtcTicks, t.FirstResponseAt?.UtcTicks, t.SolvedAt?.UtcTicks, t.ClosedAt?.UtcTicks,
            string.Join(',', t.Messages.Select(m => $"{m.Id}/{m.AuthorId}/{m.Internal}/{m.Body.GetHashCode(StringComparison.Ordinal)}/{m.CreatedAt.UtcTicks}")),
            string.Join(',', t.Events.Select(e => $"{e.Id}/{e.ActorId}/{e.Kind}/{e.ChangesJson}/{e.CreatedAt.UtcTicks}")));
}
