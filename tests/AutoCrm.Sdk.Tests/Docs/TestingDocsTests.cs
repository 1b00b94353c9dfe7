using System.Reactive.Subjects;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Docs;

#region consumer
/// <summary>A consumer's own code: counts open tickets and reports status changes as they happen.</summary>
public sealed class OpenTicketBoard(CrmClient crm)
{
    public async Task<int> CountOpenAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        await foreach (var _ in crm.Tickets.ListAsync(new TicketQuery { Statuses = [TicketStatus.Open] }, cancellationToken))
        {
            count++;
        }

        return count;
    }

    public IDisposable Watch(IObservable<TicketStatusChanged> statusChanges, Action<string> show) =>
        statusChanges.Subscribe(change => show($"{change.TicketId}: {change.From} -> {change.To}"));
}
#endregion

#region fakes
/// <summary>Tickets from memory: override only what the code under test calls.</summary>
public sealed class FakeTickets(params Ticket[] tickets) : TicketsClient
{
    public override CrmPageable<Ticket> ListAsync(TicketQuery? query = null, CancellationToken cancellationToken = default) =>
        CrmModelFactory.Pageable(tickets.Where(t => query?.Statuses is not { Count: > 0 } statuses || statuses.Contains(t.Status)));
}

/// <summary>A client that sends nothing: its <see cref="CrmClient.Tickets"/> is the fake.</summary>
public sealed class FakeCrm(TicketsClient tickets) : CrmClient
{
    public override TicketsClient Tickets => tickets;
}
#endregion

/// <summary>The code of docs/testing.md: a consumer's unit test that fakes <c>crm.Tickets</c> and a realtime stream
/// without HTTP. The page is checked to show each region verbatim.</summary>
public sealed class TestingDocsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_consumer_unit_test_fakes_tickets_and_a_realtime_stream_without_http()
    {
        #region test
        var open = new Ticket { Id = Guid.NewGuid(), Subject = "Printer on fire", Status = TicketStatus.Open };
        var solved = new Ticket { Id = Guid.NewGuid(), Subject = "Fixed already", Status = TicketStatus.Solved };
        var board = new OpenTicketBoard(new FakeCrm(new FakeTickets(open, solved)));

        Assert.Equal(1, await board.CountOpenAsync(Ct));

        var changes = new Subject<TicketStatusChanged>();
        var stream = RealtimeStream.Create(changes);      // a realtime stream over any observable
        var seen = new List<string>();
        using (board.Watch(stream, seen.Add))
        {
            changes.OnNext(new TicketStatusChanged { TicketId = open.Id, From = TicketStatus.Open, To = TicketStatus.Solved });
        }

        Assert.Equal([$"{open.Id}: Open -> Solved"], seen);
        #endregion
    }

    [Fact]
    public async Task The_page_shows_each_region_verbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AutoCrm.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var source = await File.ReadAllLinesAsync(Path.Combine(root, "tests", "AutoCrm.Sdk.Tests", "Docs", "TestingDocsTests.cs"), Ct);
        var page = (await File.ReadAllTextAsync(Path.Combine(root, "docs", "testing.md"), Ct)).ReplaceLineEndings("\n");
        foreach (var region in new[] { "consumer", "fakes", "test" })
        {
            var start = Array.FindIndex(source, l => l.Trim() == "#region " + region) + 1;
            var end = Array.FindIndex(source, start, l => l.Trim() == "#endregion");
            var lines = source[start..end];
            var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
            var code = string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
            Assert.True(page.Contains(code, StringComparison.Ordinal), $"docs/testing.md does not show region '{region}' verbatim:\n{code}");
        }
    }
}
