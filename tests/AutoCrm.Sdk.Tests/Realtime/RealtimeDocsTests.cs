// The snippets are what users copy: plain calls, without the test's cancellation token.
#pragma warning disable xUnit1051

using System.Reactive;
using System.Text.Json;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Tests.Integration;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>
/// The examples of docs/realtime.md, compiled and run against the DevStack's demo data: each stream must deliver a change
/// made after it went live. The page is checked to contain each region verbatim.
/// </summary>
[Collection(RealtimeDropsCollection.Name)]
public sealed class RealtimeDocsTests(DevStackFixture stack)
{
    private static readonly string[] Regions = ["setup", "states", "status", "queue", "tickets", "messages", "viewers", "untrack", "broadcast"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_realtime_page_examples_run()
    {
        var url = stack.Server.Url.ToString();
        var anonKey = stack.Server.AnonKey;
        var console = new WaitableWriter();

        #region setup
        using var crm = new CrmClient(new CrmClientOptions
        {
            Url = new Uri(url),
            ApiKey = anonKey,
            Realtime = new RealtimeOptions { HeartbeatInterval = TimeSpan.FromSeconds(25) },   // the default, as an example
        });
        await crm.Auth.SignInWithPasswordAsync("agent.alice@autocrm.demo", "autocrm-demo");
        var general = await crm.Queues.GetBySlugAsync("general");
        #endregion

        #region states
        using var states = crm.Realtime.ConnectionStates.Subscribe(state =>
            console.WriteLine($"realtime: {state}"));   // Disconnected → Connecting → Connected (→ Reconnecting → Connected ...)
        #endregion

        #region status
        var statusChanges = crm.Realtime.StatusChanges(general.Id);   // or StatusChanges() for every visible ticket
        using var statuses = await statusChanges.SubscribeAsync(Observer.Create<TicketStatusChanged>(
            change => console.WriteLine($"{change.TicketId}: {change.From} → {change.To} by {change.ActorId}"),
            error => console.WriteLine($"stream ended: {error.Message}")));
        // Live from here: every status change committed from now on is delivered.
        #endregion

        #region queue
        using var queueFeed = await crm.Realtime.QueueUpdates(general.Id).SubscribeAsync(Observer.Create<QueueUpdate>(update =>
        {
            switch (update.Kind)
            {
                case QueueUpdateKind.Entered: console.WriteLine($"new in queue: {update.TicketId}"); break;
                case QueueUpdateKind.Claimed: console.WriteLine($"{update.AgentId} took {update.TicketId}"); break;
                case QueueUpdateKind.Released: console.WriteLine($"{update.TicketId} is back in the queue"); break;
                case QueueUpdateKind.Left: console.WriteLine($"{update.TicketId} moved elsewhere"); break;
            }
        }));
        #endregion

        #region tickets
        var ticketChanges = crm.Realtime.TicketChanges(
            TicketChangeFilter.ForQueue(general.Id) with { Kinds = [TicketChangeKind.Inserted, TicketChangeKind.Updated] });
        using var ticketFeed = ticketChanges.Subscribe(change =>
        {
            if (change.Kind == TicketChangeKind.Updated && change.Old?.Priority != change.New?.Priority)
            {
                console.WriteLine($"#{change.New!.Number} priority {change.Old?.Priority} → {change.New.Priority}");
            }
        });
        await ticketChanges.WhenLiveAsync();
        #endregion

        // A customer files a ticket in the queue; the streams above see it enter.
        using var carol = stack.Client();
        await carol.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo", Ct);
        var carolId = (await carol.Auth.GetUserAsync(Ct)).Id;
        var created = await stack.Service.Tickets.CreateAsync(
            new NewTicket { Subject = "Realtime docs " + Guid.NewGuid().ToString("N")[..8], QueueId = general.Id, RequesterId = carolId }, Ct);
        await console.WaitForAsync($"new in queue: {created.Id}");
        await crm.Tickets.UpdateAsync(created.Id, new TicketPatch { Status = TicketStatus.Open, Priority = TicketPriority.Urgent }, cancellationToken: Ct);
        await console.WaitForAsync($"{created.Id}: New → Open");
        await console.WaitForAsync($"#{created.Number} priority Normal → Urgent");

        var ticketId = created.Id;
        #region messages
        using var conversation = await crm.Realtime.Messages(ticketId).SubscribeAsync(Observer.Create<TicketMessage>(message =>
            console.WriteLine($"[{message.Visibility}] {message.AuthorId}: {message.Body}")));
        #endregion
        await carol.Tickets.ReplyAsync(ticketId, "Any news?", cancellationToken: Ct);
        await console.WaitForAsync("[Public] " + carolId + ": Any news?");

        #region viewers
        using var viewers = crm.Realtime.Viewers(ticketId).Subscribe(all =>
        {
            var others = all.Where(v => !v.IsCurrentUser).ToList();
            console.WriteLine($"{all.Count} viewer(s), {others.Count} other(s)");
        });

        var viewing = await crm.Realtime.TrackViewingAsync(ticketId);   // others now see this agent on the ticket
        #endregion
        await console.WaitForAsync("1 viewer(s), 0 other(s)");
        #region untrack
        await viewing.DisposeAsync();   // stop announcing; the other viewers get a presence_diff
        #endregion
        await console.WaitForAsync("0 viewer(s), 0 other(s)");

        #region broadcast
        await using var room = crm.Realtime.Broadcast("agents", new BroadcastOptions { ReceiveOwn = true });   // staff only
        using var chatter = await room.Messages.SubscribeAsync(Observer.Create<BroadcastMessage>(m =>
            console.WriteLine($"{m.Event}: {m.Payload}")));
        await room.SendAsync("hello", JsonDocument.Parse("""{"from":"alice"}""").RootElement);   // waits for the server's ack
        #endregion
        await console.WaitForAsync("""hello: {"from":"alice"}""");
        Assert.Contains("realtime: Connected", console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_shows_each_region_verbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AutoCrm.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var source = await File.ReadAllLinesAsync(Path.Combine(root, "tests", "AutoCrm.Sdk.Tests", "Realtime", "RealtimeDocsTests.cs"), Ct);
        var page = (await File.ReadAllTextAsync(Path.Combine(root, "docs", "realtime.md"), Ct)).ReplaceLineEndings("\n");
        foreach (var region in Regions)
        {
            var start = Array.FindIndex(source, l => l.Trim() == "#region " + region) + 1;
            Assert.True(start > 0, $"no region {region}");
            var end = Array.FindIndex(source, start, l => l.Trim() == "#endregion");
            var lines = source[start..end];
            var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
            var code = string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
            Assert.True(page.Contains(code, StringComparison.Ordinal), $"docs/realtime.md does not show region '{region}' verbatim:\n{code}");
        }
    }

    /// <summary>A console stand-in the test can wait on.</summary>
    private sealed class WaitableWriter
    {
        private readonly object _gate = new();
        private readonly System.Text.StringBuilder _text = new();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void WriteLine(string line)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _text.AppendLine(line);
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }

        public async Task WaitForAsync(string text)
        {
            using var timeout = Timeouts.Cts();
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (_text.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(timeout.Token);
            }
        }
    }
}
