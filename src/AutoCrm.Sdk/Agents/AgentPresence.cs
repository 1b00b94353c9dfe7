using System.Reactive.Linq;
using System.Reactive.Subjects;
using AutoCrm.Sdk.Internal;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Agents;

/// <summary>
/// The signed-in agent's presence (<see cref="AgentsClient.StartPresenceAsync"/>): marks them
/// <see cref="AgentStatus.Away"/> after the idle timeout without activity, and back <see cref="AgentStatus.Online"/> on the
/// next activity. Activity is only what the app reports (<see cref="ReportActivityAsync"/>): the SDK's own calls are not
/// activity, because background work (a board refreshing, a webhook) is not a person at the keyboard. A status the agent
/// chose (<see cref="SetStatusAsync"/> with away or offline) is kept: activity does not override it. Thread-safe.
/// Disposing stops the timer and leaves the status as it is.
/// </summary>
public class AgentPresence : IAsyncDisposable
{
    private readonly AgentsClient _agents = null!;
    private readonly TimeProvider _time = null!;
    private readonly ILogger _logger = null!;
    private readonly TimeSpan _idleTimeout;
    private readonly object _lock = new();
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Subject<AgentStatus> _statusChanges = new();
    private readonly ITimer _timer = null!;
    private DateTimeOffset _lastActivity;
    private AgentStatus _status = AgentStatus.Online;
    private bool _idle;
    private bool _disposed;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected AgentPresence()
    {
    }

    internal AgentPresence(AgentsClient agents, TimeSpan idleTimeout, TimeProvider time, ILogger logger)
    {
        _agents = agents;
        _idleTimeout = idleTimeout;
        _time = time;
        _logger = logger;
        _lastActivity = time.GetUtcNow();
        _timer = time.CreateTimer(static state => ((AgentPresence)state!).OnIdleTimer(), this, idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The status this presence last set.</summary>
    public virtual AgentStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>Whether the agent is <see cref="AgentStatus.Away"/> because they were idle (the next activity brings them
    /// back online).</summary>
    public virtual bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _idle;
            }
        }
    }

    /// <summary>Each status this presence sets, after the server accepted it (idle → away, activity → online, or a
    /// status set with <see cref="SetStatusAsync"/>). Hot: subscribers see the changes after they subscribed.</summary>
    public virtual IObservable<AgentStatus> StatusChanges => _statusChanges.AsObservable();

    /// <summary>Reports that the agent did something (a keystroke, a click, a reply): restarts the idle timeout, and brings
    /// an agent who was marked away for being idle back online. Cheap when nothing changes (no request).</summary>
    /// <param name="cancellationToken">Cancels the status change, if one is needed.</param>
    /// <returns>A task that completes when the agent is back online (at once when they already were).</returns>
    /// <exception cref="CrmException">Setting the agent online failed; they stay away and the next activity tries again.</exception>
    public virtual Task ReportActivityAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _lastActivity = _time.GetUtcNow();
            if (!_idle)
            {
                if (_status == AgentStatus.Online)
                {
                    _timer.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
                }

                return Task.CompletedTask;
            }
        }

        return ComeBackAsync(cancellationToken);
    }

    /// <summary>Sets the agent's status by their choice. <see cref="AgentStatus.Online"/> restarts the idle timeout;
    /// <see cref="AgentStatus.Away"/> and <see cref="AgentStatus.Offline"/> stop it, and activity does not bring the agent
    /// back until they choose online again.</summary>
    /// <param name="status">The status.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's state after the change.</returns>
    public virtual async Task<AgentState> SetStatusAsync(AgentStatus status, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await _agents.SetStatusAsync(status, cancellationToken).ConfigureAwait(false);
            Changed(status, idle: false);
            return state;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Stops the idle timer and waits for a status change in flight. The status stays as it is.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public virtual async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await _changes.WaitAsync().ConfigureAwait(false);
        _changes.Release();
        _statusChanges.OnCompleted();
        GC.SuppressFinalize(this);
    }

    private void OnIdleTimer()
    {
        lock (_lock)
        {
            if (_disposed || _idle || _status != AgentStatus.Online)
            {
                return;
            }

            var quiet = _time.GetUtcNow() - _lastActivity;
            if (quiet < _idleTimeout)
            {
                _timer.Change(_idleTimeout - quiet, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        _ = GoAwayAsync();
    }

    private async Task GoAwayAsync()
    {
        await _changes.WaitAsync().ConfigureAwait(false);
        try
        {
            DateTimeOffset decidedAt;
            lock (_lock)
            {
                decidedAt = _lastActivity;
                if (_disposed || _idle || _status != AgentStatus.Online || _time.GetUtcNow() - _lastActivity < _idleTimeout)
                {
                    return;
                }
            }

            await _agents.SetStatusAsync(AgentStatus.Away, CancellationToken.None).ConfigureAwait(false);
            Log.PresenceIdle(_logger, _idleTimeout.TotalSeconds);
            Changed(AgentStatus.Away, idle: true);
            lock (_lock)
            {
                if (_lastActivity == decidedAt)
                {
                    return;
                }
            }

            // Activity arrived while the request was in flight: the agent is here after all.
            await _agents.SetStatusAsync(AgentStatus.Online, CancellationToken.None).ConfigureAwait(false);
            Changed(AgentStatus.Online, idle: false);
        }
        catch (Exception ex) when (ex is CrmException or ObjectDisposedException)
        {
            // Nobody awaits this change (the timer started it): stay online and try again after another idle period; the
            // server keeps the last status it accepted.
            Log.PresenceChangeFailed(_logger, (ex as CrmException)?.Code, ex);
            lock (_lock)
            {
                if (!_disposed && _status == AgentStatus.Online)
                {
                    _timer.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
                }
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task ComeBackAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                if (_disposed || !_idle)
                {
                    return;
                }
            }

            await _agents.SetStatusAsync(AgentStatus.Online, cancellationToken).ConfigureAwait(false);
            Changed(AgentStatus.Online, idle: false);
        }
        finally
        {
            _changes.Release();
        }
    }

    private void Changed(AgentStatus status, bool idle)
    {
        lock (_lock)
        {
            _status = status;
            _idle = idle;
            if (!idle)
            {
                _lastActivity = _time.GetUtcNow();
            }

            if (!_disposed)
            {
                _timer.Change(status == AgentStatus.Online ? _idleTimeout : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        _statusChanges.OnNext(status);
    }

    private void ThrowIfDisposed()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }
    }
}
