namespace AutoCrm.DevStack.Realtime;

/// <summary>One committed change and the channels it may reach.</summary>
internal sealed class WorkItem(RowChange change, List<ChannelMatch> matches, long sequence)
{
    public RowChange Change { get; } = change;

    public List<ChannelMatch> Matches { get; } = matches;

    /// <summary>Numbers the changes (a subscriber's filter work budget is per change).</summary>
    public long Sequence { get; } = sequence;
}

/// <summary>A channel with bindings that match a change (or may: their remaining conditions run on the subscriber's socket).</summary>
internal sealed class ChannelMatch(RealtimeChannel channel, RealtimeToken token)
{
    public RealtimeChannel Channel { get; } = channel;

    /// <summary>The token at match time: the RLS check and the delivery use the same claims.</summary>
    public RealtimeToken Token { get; } = token;

    /// <summary>Bindings that match for certain.</summary>
    public List<int> Ids { get; } = [];

    /// <summary>Bindings whose remaining conditions are evaluated on the subscriber's socket, within its work budget.</summary>
    public List<PostgresBinding>? Pending { get; set; }

    public RlsCheck? Check { get; set; }

    /// <summary>The changed row's primary key, as looked up in <see cref="RlsCheck.VisibleKeys"/>.</summary>
    public string? Key { get; set; }

    public bool Visible { get; set; }
}

/// <summary>
/// Which bindings a change may concern, decided with constant work per binding so that no subscriber's filters can delay the
/// others: the event, schema and table, and at most one selective condition (<c>eq</c> or <c>in</c>, values parsed when the
/// binding was made; bindings are looked up by it in the <see cref="BindingIndex"/>, not scanned). Every other condition,
/// and all conditions of a DELETE, are evaluated only after row-level security,
/// on the subscriber's own socket (<see cref="PendingChange"/>), where their work counts against that socket's budget.
/// </summary>
internal static class ChangeMatcher
{
    public static List<ChannelMatch> FindMatches(RowChange change, BindingIndex index)
    {
        var matches = new List<ChannelMatch>();
        if (index.Count == 0)
        {
            return matches;
        }

        var byChannel = new Dictionary<RealtimeChannel, ChannelMatch>();
        var relation = change.Relation;
        var isDelete = change.Type == "DELETE";
        var row = new ParsedRow(change);
        foreach (var binding in index.Candidates(change, row))
        {
            if (binding.Channel.IsClosed
                || !binding.MatchesEvent(change.Type)
                || binding.Schema != relation.Schema
                || (binding.Table is not null && binding.Table != relation.Table))
            {
                continue;
            }

            if (!isDelete && binding.Selective is { } selective && !row.Passes(selective))
            {
                continue;
            }

            if (!byChannel.TryGetValue(binding.Channel, out var match))
            {
                byChannel[binding.Channel] = match = new ChannelMatch(binding.Channel, binding.Channel.Token);
                matches.Add(match);
            }

            if ((isDelete ? binding.Filters : binding.Remaining).Count > 0)
            {
                (match.Pending ??= []).Add(binding);
            }
            else
            {
                match.Ids.Add(binding.Id);
            }
        }

        return matches;
    }
}
