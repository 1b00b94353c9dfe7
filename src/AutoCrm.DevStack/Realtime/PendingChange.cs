using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// A change on its way to one channel whose bindings still have conditions to check. It is queued on the subscriber's socket
/// like a frame and evaluated there, in order with that socket's other frames, so the filter work (regular expressions, LIKE
/// patterns, comparisons) of one subscriber never holds up the dispatcher or anyone else's delivery; the work counts against
/// the socket's budget for the change (<see cref="Sequence"/>).
/// </summary>
internal sealed class PendingChange(
    RealtimeChannel channel,
    RowChange change,
    bool primaryKeyOnly,
    IReadOnlyList<int> matchedIds,
    IReadOnlyList<PostgresBinding> pending,
    byte[] data,
    long sequence)
{
    public RealtimeChannel Channel { get; } = channel;

    /// <summary>The change's number; the socket's filter work budget is per change.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>The <c>data</c> object already built for the channel's role.</summary>
    public byte[] Data { get; } = data;

    /// <summary>
    /// The binding ids the change goes to (empty: none, the frame is not sent), or null when the budget ran out first.
    /// </summary>
    public List<int>? Evaluate(ref long budget)
    {
        var ids = new List<int>(matchedIds);
        var relation = change.Relation;
        var isDelete = change.Type == "DELETE";
        foreach (var binding in pending)
        {
            var pass = true;
            foreach (var condition in isDelete ? binding.Filters : binding.Remaining)
            {
                var index = relation.IndexOf(condition.Column);
                var value = ValueOf(index);

                // A DELETE under row-level security reaches this role with only the primary key: a condition on any other
                // column is unknown and fails, so which bindings match reveals nothing about the deleted row.
                if (value is null || (primaryKeyOnly && isDelete && Array.IndexOf(relation.PrimaryKey, index) < 0))
                {
                    pass = false;
                    break;
                }

                var result = condition.Evaluate(value.Value.Text, relation.Columns[index].Type.Name, ref budget);
                if (result == FilterResult.OutOfBudget)
                {
                    return null;
                }

                if (result == FilterResult.Fail)
                {
                    pass = false;
                    break;
                }
            }

            if (pass)
            {
                ids.Add(binding.Id);
            }
        }

        return ids;
    }

    /// <summary>The value filters see: the old row of a DELETE, otherwise the new row (unchanged TOAST values from the old).</summary>
    private RowValue? ValueOf(int index)
    {
        var row = change.Type == "DELETE" ? change.Old : change.New;
        if (index < 0 || row is null || index >= row.Length)
        {
            return null;
        }

        var value = change.Type == "DELETE" ? row[index] : change.NewValue(index);
        return value.Present ? value : null;
    }
}
