using AutoCrm.Sdk.Agents;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Agents;

/// <summary>
/// The presence's idle logic, with time driven by <see cref="FakeTimeProvider"/> and a fake <see cref="AgentsClient"/> that
/// records the statuses sent (it answers at once, so each timer callback runs to completion inside <c>Advance</c>).
/// </summary>
public sealed class AgentPresenceTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Idle_for_the_timeout_marks_the_agent_away_once_and_activity_brings_them_back_online()
    {
        var (agents, time, presence) = Start();
        await using var _ = presence;

        time.Advance(Idle - TimeSpan.FromSeconds(1));
        Assert.Empty(agents.Sent);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([AgentStatus.Away], agents.Sent);
        Assert.Equal(AgentStatus.Away, presence.Status);
        Assert.True(presence.IsIdle);

        time.Advance(Idle * 3);
        Assert.Equal([AgentStatus.Away], agents.Sent);   // away once, not again on every period

        await presence.ReportActivityAsync(Ct);
        Assert.Equal([AgentStatus.Away, AgentStatus.Online], agents.Sent);
        Assert.Equal(AgentStatus.Online, presence.Status);
        Assert.False(presence.IsIdle);

        time.Advance(Idle);
        Assert.Equal([AgentStatus.Away, AgentStatus.Online, AgentStatus.Away], agents.Sent);   // the timeout restarted
    }

    [Fact]
    public async Task Activity_restarts_the_idle_timeout_without_a_request()
    {
        var (agents, time, presence) = Start();
        await using var _ = presence;

        time.Advance(Idle - TimeSpan.FromSeconds(10));
        await presence.ReportActivityAsync(Ct);
        time.Advance(Idle - TimeSpan.FromSeconds(10));
        await presence.ReportActivityAsync(Ct);
        time.Advance(Idle - TimeSpan.FromSeconds(1));
        Assert.Empty(agents.Sent);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([AgentStatus.Away], agents.Sent);
    }

    [Fact]
    public async Task A_status_the_agent_chose_is_kept_until_they_choose_online()
    {
        var (agents, time, presence) = Start();
        await using var _ = presence;

        await presence.SetStatusAsync(AgentStatus.Away, Ct);
        await presence.ReportActivityAsync(Ct);
        time.Advance(Idle * 2);
        Assert.Equal([AgentStatus.Away], agents.Sent);
        Assert.False(presence.IsIdle);

        await presence.SetStatusAsync(AgentStatus.Online, Ct);
        time.Advance(Idle);
        Assert.Equal([AgentStatus.Away, AgentStatus.Online, AgentStatus.Away], agents.Sent);
        Assert.True(presence.IsIdle);
    }

    [Fact]
    public async Task A_refused_change_to_away_keeps_the_agent_online_and_is_tried_again_after_another_period()
    {
        var (agents, time, presence) = Start();
        await using var _ = presence;
        agents.FailNext = new CrmException(new CrmErrorInfo { Status = 503, Code = "transport", Message = "down", IsTransient = true });

        time.Advance(Idle);
        Assert.Equal([AgentStatus.Away], agents.Sent);
        Assert.Equal(AgentStatus.Online, presence.Status);

        time.Advance(Idle);
        Assert.Equal([AgentStatus.Away, AgentStatus.Away], agents.Sent);
        Assert.Equal(AgentStatus.Away, presence.Status);
    }

    [Fact]
    public async Task Status_changes_report_what_the_server_accepted_and_dispose_stops_the_timer()
    {
        var (agents, time, presence) = Start();
        var seen = new List<AgentStatus>();
        using (presence.StatusChanges.Subscribe(seen.Add))
        {
            time.Advance(Idle);
            await presence.ReportActivityAsync(Ct);
        }

        Assert.Equal([AgentStatus.Away, AgentStatus.Online], seen);
        await presence.DisposeAsync();
        time.Advance(Idle * 2);
        Assert.Equal([AgentStatus.Away, AgentStatus.Online], agents.Sent);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => presence.ReportActivityAsync(Ct));
    }

    private static (RecordingAgents Agents, FakeTimeProvider Time, AgentPresence Presence) Start()
    {
        var agents = new RecordingAgents();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero));
        return (agents, time, new AgentPresence(agents, Idle, time, NullLogger.Instance));
    }

    /// <summary>Records each status sent; answers at once, or fails once when told to.</summary>
    private sealed class RecordingAgents : AgentsClient
    {
        private readonly List<AgentStatus> _sent = [];

        public CrmException? FailNext { get; set; }

        public IReadOnlyList<AgentStatus> Sent
        {
            get
            {
                lock (_sent)
                {
                    return [.. _sent];
                }
            }
        }

        public override Task<AgentState> SetStatusAsync(AgentStatus status, CancellationToken cancellationToken = default)
        {
            lock (_sent)
            {
                _sent.Add(status);
            }

            if (FailNext is { } failure)
            {
                FailNext = null;
                return Task.FromException<AgentState>(failure);
            }

            return Task.FromResult(new AgentState { AgentId = Guid.Empty, Status = status });
        }
    }
}
