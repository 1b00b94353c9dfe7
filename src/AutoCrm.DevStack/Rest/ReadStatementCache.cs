using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// Caches the main statement of table reads per query shape: the query string with the values of plain
/// <c>col=[not.]eq|neq|gt|gte|lt|lte.value</c> filters taken out. A hit skips parsing and SQL building; the cached
/// statement's parameters are cloned and the values put in their slots.
/// </summary>
/// <remarks>
/// A shape is cached only after a self-check: the statement is built once more with a unique sentinel for each value,
/// and it must give the same SQL text as the real request, the same other parameters, and each sentinel in exactly
/// one parameter, unchanged. Otherwise the shape is marked uncacheable and always built. The first request of a shape
/// is always built from its real values, so its errors are the builder's own. Entries live with one schema snapshot.
/// </remarks>
internal sealed class ReadStatementCache
{
    internal const int Capacity = 512;

    private static readonly string[] SlotOperators = ["eq", "neq", "gt", "gte", "lt", "lte"];

    private static readonly HashSet<string> ReservedKeys = new(StringComparer.Ordinal) { "select", "order", "limit", "offset", "columns", "on_conflict", "or", "and" };

    private Generation? generation;

    /// <summary>Hits since the process started (tests read it).</summary>
    public long Hits => Interlocked.Read(ref hits);

    private long hits;

    public RestStatement Read(SchemaSnapshot snapshot, DbRelation relation, IQueryCollection query, string range, CountPreference count, long? maxRows, BodyFormat format, Func<IQueryCollection, RestQuery> parse)
    {
        var values = new List<string>(2);
        var shape = Shape(query, values);
        var gen = Volatile.Read(ref generation);
        if (gen is null || !ReferenceEquals(gen.Snapshot, snapshot))
        {
            gen = new Generation(snapshot);
            Volatile.Write(ref generation, gen);
        }

        var key = new ShapeKey(relation.Schema, relation.Name, shape, count, maxRows, format, range);
        if (gen.Entries.TryGetValue(key, out var entry))
        {
            if (entry is not null)
            {
                Interlocked.Increment(ref hits);
                return entry.Instantiate(values);
            }

            return StatementBuilder.Read(snapshot, relation, parse(query), count, maxRows, format);
        }

        var statement = StatementBuilder.Read(snapshot, relation, parse(query), count, maxRows, format);
        if (gen.Entries.Count >= Capacity)
        {
            gen.Entries.Clear();
        }

        gen.Entries[key] = values.Count == 0 ? Entry.Of(statement, []) : Template(snapshot, relation, query, count, maxRows, format, parse, statement, values.Count);
        return statement;
    }

    private static Entry? Template(SchemaSnapshot snapshot, DbRelation relation, IQueryCollection query, CountPreference count, long? maxRows, BodyFormat format, Func<IQueryCollection, RestQuery> parse, RestStatement real, int slotCount)
    {
        var sentinels = new string[slotCount];
        for (var i = 0; i < slotCount; i++)
        {
            sentinels[i] = "\u0001pgrst_slot_" + i.ToString(CultureInfo.InvariantCulture) + "\u0001";
        }

        // The same query with each slot value replaced by its sentinel, in the same order.
        var copy = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        var slot = 0;
        foreach (var (name, vs) in query)
        {
            var replaced = new string?[vs.Count];
            for (var j = 0; j < vs.Count; j++)
            {
                var v = vs[j] ?? "";
                replaced[j] = SlotPrefixLength(name, v) is var prefix and > 0 ? v[..prefix] + sentinels[slot++] : v;
            }

            copy[name] = new StringValues(replaced);
        }

        RestStatement template;
        try
        {
            template = StatementBuilder.Read(snapshot, relation, parse(new QueryCollection(copy)), count, maxRows, format);
        }
        catch (RestException)
        {
            return null;
        }

        var realItems = real.Parameters.Items;
        var items = template.Parameters.Items;
        if (template.Sql != real.Sql || template.ExplainSql != real.ExplainSql || items.Count != realItems.Count)
        {
            return null;
        }

        var slots = new int[slotCount];
        Array.Fill(slots, -1);
        for (var p = 0; p < items.Count; p++)
        {
            var index = items[p].Value is string s ? Array.IndexOf(sentinels, s) : -1;
            if (index >= 0)
            {
                if (slots[index] != -1)
                {
                    return null;
                }

                slots[index] = p;
            }
            else if (!Equals(items[p].Value, realItems[p].Value) || items[p].NpgsqlDbType != realItems[p].NpgsqlDbType)
            {
                return null;
            }
        }

        return Array.IndexOf(slots, -1) >= 0 ? null : Entry.Of(template, slots);
    }

    /// <summary>
    /// The shape of a query string: every key and value, length-prefixed; a slot value is replaced by its operator
    /// prefix (<c>[not.]op.</c>) and collected into <paramref name="values"/>.
    /// </summary>
    internal static string Shape(IQueryCollection query, List<string> values)
    {
        var sb = new StringBuilder(64);
        foreach (var (name, vs) in query)
        {
            foreach (var value in vs)
            {
                var v = value ?? "";
                sb.Append(name.Length).Append(':').Append(name);
                var prefix = SlotPrefixLength(name, v);
                if (prefix > 0)
                {
                    sb.Append('s').Append(prefix).Append(':').Append(v, 0, prefix);
                    values.Add(v[prefix..]);
                }
                else
                {
                    sb.Append('v').Append(v.Length).Append(':').Append(v);
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>The length of <c>[not.]op.</c> when <paramref name="value"/> is a slot filter on a plain column, else 0.</summary>
    private static int SlotPrefixLength(string name, string value)
    {
        if (name.Length == 0 || ReservedKeys.Contains(name))
        {
            return 0;
        }

        foreach (var ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_')
            {
                return 0;
            }
        }

        var start = value.StartsWith("not.", StringComparison.Ordinal) ? 4 : 0;
        var dot = value.IndexOf('.', start);
        if (dot <= start)
        {
            return 0;
        }

        var op = value.AsSpan(start, dot - start);
        foreach (var candidate in SlotOperators)
        {
            if (op.SequenceEqual(candidate))
            {
                return dot + 1;
            }
        }

        return 0;
    }

    private readonly record struct ShapeKey(string Schema, string Relation, string Shape, CountPreference Count, long? MaxRows, BodyFormat Format, string Range);

    private sealed class Generation(SchemaSnapshot snapshot)
    {
        public SchemaSnapshot Snapshot { get; } = snapshot;

        public ConcurrentDictionary<ShapeKey, Entry?> Entries { get; } = new();
    }

    /// <summary>A statement whose parameters at <see cref="Slots"/> take the request's values.</summary>
    private sealed class Entry(RestStatement template, int[] slots)
    {
        public int[] Slots { get; } = slots;

        public static Entry Of(RestStatement template, int[] slots) => new(template, slots);

        public RestStatement Instantiate(List<string> values)
        {
            var parameters = new SqlParameters();
            var items = template.Parameters.Items;
            parameters.Items.Capacity = items.Count;
            foreach (var p in items)
            {
                parameters.Items.Add(p.Clone());
            }

            for (var i = 0; i < Slots.Length; i++)
            {
                parameters.Items[Slots[i]].Value = values[i];
            }

            return template with { Parameters = parameters };
        }
    }
}
