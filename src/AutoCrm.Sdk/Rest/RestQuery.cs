using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>
/// An immutable PostgREST request under construction: every method returns a new query, so a query can be shared
/// across threads and reused as a template. Finish it with a terminal method (<see cref="ToListAsync{T}"/>,
/// <see cref="SingleAsync{T}"/>, <see cref="MaybeSingleAsync{T}"/>, <see cref="ToResultAsync{T}"/>,
/// <see cref="ToJsonAsync"/>, <see cref="CountAsync"/>, <see cref="ExecuteAsync"/>).
/// </summary>
/// <example>
/// <code>
/// var urgentOpen = crm.Rest.From("tickets").Eq("priority", "urgent").In("status", ["new", "open"]);
/// var count = await urgentOpen.CountAsync();
/// var rows = await urgentOpen.Order("created_at").Range(0, 9).ToListAsync(MyJsonContext.Default.TicketRow);
/// </code>
/// </example>
public sealed partial class RestQuery
{
    private const string ObjectMediaType = "application/vnd.pgrst.object+json";
    private readonly RestQueryState _state;

    internal RestQuery(RestQueryState state) => _state = state;

    // ---- shape -------------------------------------------------------------------------------------

    /// <summary>The columns to return: <c>*</c>, names, aliases (<c>alias:col</c>), casts, JSON paths and embedded
    /// resources (<c>*,conversation_history:ticket_messages(*)</c>). Whitespace outside quotes is removed. On a write it
    /// selects the columns of the returned representation.</summary>
    /// <param name="columns">The select list.</param>
    /// <returns>A new query.</returns>
    public RestQuery Select(string columns = "*")
    {
        Guard.NotBlank(columns, "select");
        return With(_state with { Select = RestText.CleanSelect(columns) });
    }

    // ---- filters -----------------------------------------------------------------------------------

    /// <summary>Adds a filter (ANDed with the others): a condition from <see cref="RestFilter"/> or a logic tree.</summary>
    /// <param name="filter">The filter.</param>
    /// <returns>A new query.</returns>
    public RestQuery Where(RestFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return With(_state with { Filters = _state.Filters.Add(filter.ToParameter()) });
    }

    /// <summary>Adds a filter written in PostgREST syntax: <c>column=op.value</c> (the value is sent as is).</summary>
    /// <param name="column">The column (or JSON path, or embed path such as <c>rel.col</c>).</param>
    /// <param name="op">The operator, possibly negated (<c>not.eq</c>).</param>
    /// <param name="value">The value, already in PostgREST syntax.</param>
    /// <returns>A new query.</returns>
    public RestQuery Filter(string column, string op, string value)
    {
        Guard.NotBlank(column, "column");
        Guard.NotBlank(op, "operator");
        return With(_state with { Filters = _state.Filters.Add(new(column, op + "." + value)) });
    }

    /// <summary>Keeps rows where <c>column = value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value (see <see cref="RestFilter.Where"/> for formatting).</param>
    /// <returns>A new query.</returns>
    public RestQuery Eq(string column, object? value) => Where(RestFilter.Eq(column, value));

    /// <summary>Keeps rows where <c>column &lt;&gt; value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery Neq(string column, object? value) => Where(RestFilter.Neq(column, value));

    /// <summary>Keeps rows where <c>column &gt; value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery Gt(string column, object? value) => Where(RestFilter.Gt(column, value));

    /// <summary>Keeps rows where <c>column &gt;= value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery Gte(string column, object? value) => Where(RestFilter.Gte(column, value));

    /// <summary>Keeps rows where <c>column &lt; value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery Lt(string column, object? value) => Where(RestFilter.Lt(column, value));

    /// <summary>Keeps rows where <c>column &lt;= value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery Lte(string column, object? value) => Where(RestFilter.Lte(column, value));

    /// <summary>Keeps rows where <c>column LIKE pattern</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern (<c>%</c> or <c>*</c> as wildcard).</param>
    /// <returns>A new query.</returns>
    public RestQuery Like(string column, string pattern) => Where(RestFilter.Like(column, pattern));

    /// <summary>Keeps rows where <c>column ILIKE pattern</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern (<c>%</c> or <c>*</c> as wildcard).</param>
    /// <returns>A new query.</returns>
    public RestQuery ILike(string column, string pattern) => Where(RestFilter.ILike(column, pattern));

    /// <summary>Keeps rows where <c>column ~ regex</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The POSIX regular expression.</param>
    /// <returns>A new query.</returns>
    public RestQuery Match(string column, string pattern) => Where(RestFilter.Match(column, pattern));

    /// <summary>Keeps rows where <c>column ~* regex</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The POSIX regular expression.</param>
    /// <returns>A new query.</returns>
    public RestQuery IMatch(string column, string pattern) => Where(RestFilter.IMatch(column, pattern));

    /// <summary>Keeps rows whose column is one of the values (quoted as needed).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="values">The values.</param>
    /// <returns>A new query.</returns>
    public RestQuery In<T>(string column, IEnumerable<T> values) => Where(RestFilter.In(column, values));

    /// <summary>Keeps rows where the column <c>IS NULL</c>/<c>TRUE</c>/<c>FALSE</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value"><see langword="null"/>, <see langword="true"/> or <see langword="false"/>.</param>
    /// <returns>A new query.</returns>
    public RestQuery Is(string column, bool? value) => Where(RestFilter.Is(column, value));

    /// <summary>Keeps rows where <c>column IS DISTINCT FROM value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>A new query.</returns>
    public RestQuery IsDistinct(string column, object? value) => Where(RestFilter.IsDistinct(column, value));

    /// <summary>Keeps rows whose array column contains all the values (<c>cs</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="values">The values.</param>
    /// <returns>A new query.</returns>
    public RestQuery Contains<T>(string column, IEnumerable<T> values) => Where(RestFilter.Contains(column, values));

    /// <summary>Keeps rows whose JSONB column contains the JSON (<c>cs</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="json">The JSON.</param>
    /// <returns>A new query.</returns>
    public RestQuery Contains(string column, JsonNode json) => Where(RestFilter.Contains(column, json));

    /// <summary>Keeps rows whose array column is contained by the values (<c>cd</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="values">The values.</param>
    /// <returns>A new query.</returns>
    public RestQuery ContainedBy<T>(string column, IEnumerable<T> values) => Where(RestFilter.ContainedBy(column, values));

    /// <summary>Keeps rows whose array column shares an element with the values (<c>ov</c>).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="values">The values.</param>
    /// <returns>A new query.</returns>
    public RestQuery Overlaps<T>(string column, IEnumerable<T> values) => Where(RestFilter.Overlaps(column, values));

    /// <summary>Full-text search on a column.</summary>
    /// <param name="column">The column.</param>
    /// <param name="query">The query.</param>
    /// <param name="type">The parser.</param>
    /// <param name="config">The text-search configuration, if not the default.</param>
    /// <returns>A new query.</returns>
    public RestQuery TextSearch(string column, string query, TextSearchType type = TextSearchType.Plain, string? config = null) =>
        Where(RestFilter.TextSearch(column, query, type, config));

    /// <summary>Keeps rows matching any of the filters (<c>or=(…)</c>).</summary>
    /// <param name="filters">The filters (conditions or nested trees).</param>
    /// <returns>A new query.</returns>
    public RestQuery Or(params RestFilter[] filters) => Where(RestFilter.Or(filters));

    /// <summary>Keeps rows that do not match the filter (<c>column=not.op.value</c>, or <c>not.or=(…)</c>).</summary>
    /// <param name="filter">The filter to negate.</param>
    /// <returns>A new query.</returns>
    public RestQuery Not(RestFilter filter) => Where(RestFilter.Not(filter));

    // ---- order and paging --------------------------------------------------------------------------

    /// <summary>Adds a sort term (terms apply in the order added).</summary>
    /// <param name="column">The column or JSON path.</param>
    /// <param name="descending">Largest first.</param>
    /// <param name="nullsFirst"><see langword="true"/> for <c>nullsfirst</c>, <see langword="false"/> for <c>nullslast</c>, <see langword="null"/> for the default.</param>
    /// <param name="referencedTable">Order an embedded resource instead of the top level.</param>
    /// <returns>A new query.</returns>
    public RestQuery Order(string column, bool descending = false, bool? nullsFirst = null, string? referencedTable = null)
    {
        Guard.NotBlank(column, "order");
        var term = column + (descending ? ".desc" : ".asc") + nullsFirst switch { true => ".nullsfirst", false => ".nullslast", null => "" };
        return With(_state with { Orders = _state.Orders.Add(new(referencedTable ?? "", term)) });
    }

    /// <summary>Returns at most <paramref name="count"/> rows.</summary>
    /// <param name="count">The limit.</param>
    /// <param name="referencedTable">Limit an embedded resource instead.</param>
    /// <returns>A new query.</returns>
    public RestQuery Limit(int count, string? referencedTable = null)
    {
        Guard.NotNegative(count, "limit");
        return With(_state with { Paging = _state.Paging.SetItem(Prefix(referencedTable) + "limit", Invariant(count)) });
    }

    /// <summary>Returns rows <paramref name="from"/> to <paramref name="to"/> inclusive (zero-based): <c>offset=from&amp;limit=to-from+1</c>.
    /// For deep paging prefer a keyset filter on the sort key.</summary>
    /// <param name="from">The first row.</param>
    /// <param name="to">The last row.</param>
    /// <param name="referencedTable">Page an embedded resource instead.</param>
    /// <returns>A new query.</returns>
    public RestQuery Range(int from, int to, string? referencedTable = null)
    {
        Guard.NotNegative(from, "from");
        Guard.InRange(to, from, int.MaxValue, "to");
        var prefix = Prefix(referencedTable);
        return With(_state with
        {
            Paging = _state.Paging.SetItem(prefix + "offset", Invariant(from)).SetItem(prefix + "limit", Invariant(to - from + 1)),
        });
    }

    /// <summary>Asks the server to count the matching rows (<c>Prefer: count=…</c>); read it from <see cref="RestResult{T}.TotalCount"/>.</summary>
    /// <param name="mode">How to count.</param>
    /// <returns>A new query.</returns>
    public RestQuery Count(RestCount mode = RestCount.Exact) => With(_state with { Count = mode });

    // ---- writes ------------------------------------------------------------------------------------

    /// <summary>Turns the query into an insert of one row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="row">The row.</param>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <returns>A new query.</returns>
    public RestQuery Insert<T>(T row, JsonTypeInfo<T> rowType) => WithBody(RestVerb.Insert, Serialize(row, rowType), bulk: false);

    /// <summary>Turns the query into an insert of several rows (sends <c>columns</c> with the union of their keys).</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rows">The rows.</param>
    /// <param name="rowType">Their source-generated JSON metadata.</param>
    /// <returns>A new query.</returns>
    public RestQuery Insert<T>(IEnumerable<T> rows, JsonTypeInfo<T> rowType) => WithBody(RestVerb.Insert, SerializeMany(rows, rowType), bulk: true);

    /// <summary>Turns the query into an insert of JSON (an object, or an array for a bulk insert).</summary>
    /// <param name="rows">The row or rows.</param>
    /// <returns>A new query.</returns>
    public RestQuery Insert(JsonNode rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return WithBody(RestVerb.Insert, JsonSerializer.SerializeToUtf8Bytes(rows, CrmJsonContext.Default.JsonNode), rows is JsonArray);
    }

    /// <summary>Turns the query into an upsert of JSON rows (<c>Prefer: resolution=merge-duplicates</c> or <c>ignore-duplicates</c>).</summary>
    /// <param name="rows">The row or rows.</param>
    /// <param name="onConflict">Unique columns to detect duplicates by (comma-separated); <see langword="null"/> for the primary key.</param>
    /// <param name="ignoreDuplicates">Keep existing rows unchanged instead of updating them.</param>
    /// <returns>A new query.</returns>
    public RestQuery Upsert(JsonNode rows, string? onConflict = null, bool ignoreDuplicates = false)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var query = WithBody(RestVerb.Upsert, JsonSerializer.SerializeToUtf8Bytes(rows, CrmJsonContext.Default.JsonNode), rows is JsonArray);
        return query.With(query._state with { OnConflict = onConflict, IgnoreDuplicates = ignoreDuplicates });
    }

    /// <summary>Turns the query into an upsert of one typed row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="row">The row.</param>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <param name="onConflict">Unique columns to detect duplicates by; <see langword="null"/> for the primary key.</param>
    /// <param name="ignoreDuplicates">Keep existing rows unchanged instead of updating them.</param>
    /// <returns>A new query.</returns>
    public RestQuery Upsert<T>(T row, JsonTypeInfo<T> rowType, string? onConflict = null, bool ignoreDuplicates = false)
    {
        var query = WithBody(RestVerb.Upsert, Serialize(row, rowType), bulk: false);
        return query.With(query._state with { OnConflict = onConflict, IgnoreDuplicates = ignoreDuplicates });
    }

    /// <summary>Turns the query into an upsert of several typed rows.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rows">The rows.</param>
    /// <param name="rowType">Their source-generated JSON metadata.</param>
    /// <param name="onConflict">Unique columns to detect duplicates by; <see langword="null"/> for the primary key.</param>
    /// <param name="ignoreDuplicates">Keep existing rows unchanged instead of updating them.</param>
    /// <returns>A new query.</returns>
    public RestQuery Upsert<T>(IEnumerable<T> rows, JsonTypeInfo<T> rowType, string? onConflict = null, bool ignoreDuplicates = false)
    {
        var query = WithBody(RestVerb.Upsert, SerializeMany(rows, rowType), bulk: true);
        return query.With(query._state with { OnConflict = onConflict, IgnoreDuplicates = ignoreDuplicates });
    }

    /// <summary>Missing keys of inserted rows take the column defaults instead of NULL (<c>Prefer: missing=default</c>).</summary>
    /// <returns>A new query.</returns>
    public RestQuery DefaultToMissing() => With(_state with { MissingDefault = true });

    /// <summary>Turns the query into an update of the filtered rows with the given columns (PATCH).</summary>
    /// <param name="values">The columns to set.</param>
    /// <returns>A new query.</returns>
    public RestQuery Update(JsonObject values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return WithBody(RestVerb.Update, JsonSerializer.SerializeToUtf8Bytes(values, CrmJsonContext.Default.JsonObject), bulk: false);
    }

    /// <summary>Turns the query into an update with a typed value (its non-null properties, with the context's settings).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="values">The columns to set.</param>
    /// <param name="valuesType">Its source-generated JSON metadata.</param>
    /// <returns>A new query.</returns>
    public RestQuery Update<T>(T values, JsonTypeInfo<T> valuesType) => WithBody(RestVerb.Update, Serialize(values, valuesType), bulk: false);

    /// <summary>Turns the query into a delete of the filtered rows. (A Supabase database refuses updates and deletes without any filter.)</summary>
    /// <returns>A new query.</returns>
    public RestQuery Delete() => With(_state with { Verb = RestVerb.Delete, Body = null });

    /// <summary>Marks the request as safe to repeat (an insert of rows with client-generated keys and
    /// <c>ignoreDuplicates</c>, a version-guarded update, an idempotent function), so the client retries it on transient
    /// failures. Reads are always retried.</summary>
    /// <returns>A new query.</returns>
    public RestQuery AsIdempotent() => With(_state with { Retryable = true });

    private RestQuery With(RestQueryState state) => new(state);

    private RestQuery WithBody(RestVerb verb, byte[] body, bool bulk)
    {
        var columns = bulk ? UnionOfKeys(body) : null;
        return With(_state with { Verb = verb, Body = body, Columns = columns });
    }

    private static string? UnionOfKeys(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var keys = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in document.RootElement.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (var property in row.EnumerateObject())
            {
                if (seen.Add(property.Name))
                {
                    keys.Add(property.Name);
                }
            }
        }

        return keys.Count == 0 ? null : string.Join(',', keys.Select(k => "\"" + k + "\""));
    }

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return JsonSerializer.SerializeToUtf8Bytes(value, type);
    }

    private static byte[] SerializeMany<T>(IEnumerable<T> rows, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(type);
        return JsonSerializer.SerializeToUtf8Bytes(rows.ToList(), ListTypeInfo.For(type));
    }

    private static string Prefix(string? referencedTable) => string.IsNullOrEmpty(referencedTable) ? "" : referencedTable + ".";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
