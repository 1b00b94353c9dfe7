using System.Text.Json;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>
/// The presence table of one channel, kept the way Phoenix/realtime-js keep it: <c>presence_state</c> replaces the table,
/// each <c>presence_diff</c> adds joins and removes leaves by <c>phx_ref</c>; diffs that arrive before the state of the current
/// join are held back and applied after it.
/// </summary>
internal sealed class PresenceState
{
    private readonly Dictionary<string, List<JsonElement>> _state = new(StringComparer.Ordinal);
    private readonly List<JsonElement> _pendingDiffs = [];
    private string? _stateJoinRef;

    /// <summary>Applies a <c>presence_state</c> payload received under the given channel join ref.</summary>
    public void SyncState(JsonElement state, string? joinRef)
    {
        _state.Clear();
        if (state.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in state.EnumerateObject())
            {
                var metas = ReadMetas(entry.Value);
                if (metas.Count > 0)
                {
                    _state[entry.Name] = metas;
                }
            }
        }

        _stateJoinRef = joinRef;
        foreach (var diff in _pendingDiffs)
        {
            ApplyDiff(diff);
        }

        _pendingDiffs.Clear();
    }

    /// <summary>Applies (or holds back) a <c>presence_diff</c> payload. Returns false when it was held back.</summary>
    public bool SyncDiff(JsonElement diff, string? joinRef)
    {
        if (_stateJoinRef is null || _stateJoinRef != joinRef)
        {
            _pendingDiffs.Add(diff);
            return false;
        }

        ApplyDiff(diff);
        return true;
    }

    /// <summary>Forgets everything (the channel left or is rejoining; a fresh <c>presence_state</c> follows).</summary>
    public void Reset()
    {
        _state.Clear();
        _pendingDiffs.Clear();
        _stateJoinRef = null;
    }

    /// <summary>A copy of the table: key → metas (each meta still carries <c>phx_ref</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> Snapshot()
    {
        var copy = new Dictionary<string, IReadOnlyList<JsonElement>>(_state.Count, StringComparer.Ordinal);
        foreach (var (key, metas) in _state)
        {
            copy[key] = metas.ToArray();
        }

        return copy;
    }

    private void ApplyDiff(JsonElement diff)
    {
        if (diff.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (diff.TryGetProperty("joins", out var joins) && joins.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in joins.EnumerateObject())
            {
                var joined = ReadMetas(entry.Value);
                var joinedRefs = new HashSet<string?>(joined.Select(PhxRef), StringComparer.Ordinal);
                if (_state.TryGetValue(entry.Name, out var current))
                {
                    // Phoenix: the joined metas first, then the current ones that were not replaced.
                    joined.AddRange(current.Where(m => !joinedRefs.Contains(PhxRef(m))));
                }

                _state[entry.Name] = joined;
            }
        }

        if (diff.TryGetProperty("leaves", out var leaves) && leaves.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in leaves.EnumerateObject())
            {
                if (!_state.TryGetValue(entry.Name, out var current))
                {
                    continue;
                }

                var leftRefs = new HashSet<string?>(ReadMetas(entry.Value).Select(PhxRef), StringComparer.Ordinal);
                current.RemoveAll(m => leftRefs.Contains(PhxRef(m)));
                if (current.Count == 0)
                {
                    _state.Remove(entry.Name);
                }
            }
        }
    }

    private static List<JsonElement> ReadMetas(JsonElement presence)
    {
        var list = new List<JsonElement>();
        if (presence.ValueKind == JsonValueKind.Object
            && presence.TryGetProperty("metas", out var metas)
            && metas.ValueKind == JsonValueKind.Array)
        {
            foreach (var meta in metas.EnumerateArray())
            {
                list.Add(meta);
            }
        }

        return list;
    }

    private static string? PhxRef(JsonElement meta) =>
        meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("phx_ref", out var r) && r.ValueKind == JsonValueKind.String
            ? r.GetString()
            : null;
}
