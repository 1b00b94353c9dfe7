using System.Threading.Channels;
using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Turns committed changes into postgres_changes messages, in commit order: finds the channels each change may reach
/// (<see cref="ChangeMatcher"/>), lets row-level security decide who may see it (<see cref="RowSecurityCheck"/>), builds
/// the payload once per role (<see cref="ChangePayload"/>) and queues one message per channel. Conditions that need more
/// than constant work go with the message to the subscriber's socket and are evaluated there (<see cref="PendingChange"/>).
/// </summary>
internal sealed class ChangeDispatcher(RealtimeService service)
{
    private const int MaxChangesPerRound = 512;

    /// <summary>How often a round whose dispatch fails is tried (on a fresh connection) before its subscribers are told.</summary>
    internal const int MaxAttemptsPerRound = 3;

    /// <summary>The system error a subscriber gets when changes for it could not be delivered (its channel is closed).</summary>
    internal const string DeliveryFailedMessage = "Realtime could not deliver database changes to this channel; rejoin to resync";

    private readonly RowSecurityCheck _security = new(service);
    private long _sequence;

    public async Task RunAsync(ChannelReader<List<RowChange>> transactions, CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (await transactions.WaitToReadAsync(ct))
            {
                var changes = new List<RowChange>();
                while (changes.Count < MaxChangesPerRound && transactions.TryRead(out var transaction))
                {
                    changes.AddRange(transaction);
                }

                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        connection ??= await service.DispatchDataSource.OpenConnectionAsync(ct);
                        service.DispatchFault?.Invoke(changes, attempt);
                        await DispatchAsync(changes, connection, ct);
                        break;
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        // Whatever failed (a cancellation that is not ours included), the loop must go on serving:
                        // retry the round on a fresh connection (nothing of it was delivered yet), and when it keeps
                        // failing tell every subscriber it concerned instead of losing its changes silently.
                        RealtimeLog.DispatchFailed(service.Logger, attempt, MaxAttemptsPerRound, ex);
                        if (connection is not null)
                        {
                            await connection.DisposeAsync();
                            connection = null;
                        }

                        await _security.CloseHelpersAsync();
                        if (attempt >= MaxAttemptsPerRound)
                        {
                            FailSubscribers(changes);
                            break;
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            await _security.CloseHelpersAsync();
        }
    }

    /// <summary>
    /// A round that could not be dispatched: every channel that has a binding matching one of its changes gets a
    /// system error and is closed, so its client knows it missed changes and rejoins (never a silent gap).
    /// </summary>
    private void FailSubscribers(List<RowChange> changes)
    {
        var bindings = service.Hub.Bindings;
        var channels = new HashSet<RealtimeChannel>();
        foreach (var change in changes)
        {
            foreach (var match in ChangeMatcher.FindMatches(change, bindings))
            {
                channels.Add(match.Channel);
            }
        }

        foreach (var channel in channels)
        {
            channel.Connection.CloseWithError(channel, DeliveryFailedMessage);
        }
    }

    internal async Task DispatchAsync(List<RowChange> changes, NpgsqlConnection connection, CancellationToken ct)
    {
        var bindings = service.Hub.Bindings;
        if (bindings.Count == 0)
        {
            return;
        }

        var work = new List<WorkItem>();
        foreach (var change in changes)
        {
            var matches = ChangeMatcher.FindMatches(change, bindings);
            if (matches.Count > 0)
            {
                work.Add(new WorkItem(change, matches, Interlocked.Increment(ref _sequence)));
            }
        }

        if (work.Count == 0)
        {
            return;
        }

        await _security.LoadAccessAsync(work, connection, ct);
        await _security.CheckAsync(work, connection, ct);
        Deliver(work);
    }

    private void Deliver(List<WorkItem> work)
    {
        foreach (var item in work)
        {
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var match in item.Matches)
            {
                if (!match.Visible || match.Channel.IsClosed)
                {
                    continue;
                }

                var role = match.Token.Role;
                var access = _security.Access(role, item.Change.Relation.Oid);
                if (!data.TryGetValue(role, out var json))
                {
                    data[role] = json = ChangePayload.BuildData(item.Change, access, service.Options.MaxRecordBytes);
                }

                var connection = match.Channel.Connection;
                if (match.Pending is { } pending)
                {
                    connection.Send(new PendingChange(match.Channel, item.Change, access.SeesOnlyPrimaryKeyOfDeletes, match.Ids, pending, json, item.Sequence));
                }
                else
                {
                    connection.Send(connection.Serializer.EncodeChange(match.Channel.JoinRef, match.Channel.Topic, match.Ids, json));
                }
            }
        }
    }
}
