using System.Text;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>
/// One PostgREST filter condition, or a logic tree of them (<c>or</c>, <c>and</c>, <c>not</c>). Immutable.
/// Values are quoted for you inside <c>in.(…)</c> and trees.
/// </summary>
/// <example>
/// <code>
/// // or=(priority.eq.urgent,and(status.eq.new,assignee_id.is.null))
/// query.Or(RestFilter.Eq("priority", "urgent"), RestFilter.And(RestFilter.Eq("status", "new"), RestFilter.Is("assignee_id", null)));
/// </code>
/// </example>
public sealed class RestFilter
{
    private readonly string? _column;
    private readonly string? _operator;
    private readonly string? _value;
    private readonly bool _valueIsList;
    private readonly string? _logic;
    private readonly RestFilter[]? _children;
    private readonly string? _raw;
    private readonly bool _negated;

    private RestFilter(string? column, string? op, string? value, bool valueIsList, string? logic, RestFilter[]? children, string? raw, bool negated)
    {
        _column = column;
        _operator = op;
        _value = value;
        _valueIsList = valueIsList;
        _logic = logic;
        _children = children;
        _raw = raw;
        _negated = negated;
    }

    /// <summary><c>column = value</c> (<c>eq</c>).</summary>
    /// <param name="column">The column (or JSON path such as <c>metadata-&gt;&gt;plan</c>).</param>
    /// <param name="value">The value; see <see cref="Where"/> for how values are written.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Eq(string column, object? value) => Where(column, "eq", value);

    /// <summary><c>column &lt;&gt; value</c> (<c>neq</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Neq(string column, object? value) => Where(column, "neq", value);

    /// <summary><c>column &gt; value</c> (<c>gt</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Gt(string column, object? value) => Where(column, "gt", value);

    /// <summary><c>column &gt;= value</c> (<c>gte</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Gte(string column, object? value) => Where(column, "gte", value);

    /// <summary><c>column &lt; value</c> (<c>lt</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Lt(string column, object? value) => Where(column, "lt", value);

    /// <summary><c>column &lt;= value</c> (<c>lte</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Lte(string column, object? value) => Where(column, "lte", value);

    /// <summary><c>column LIKE pattern</c>; <c>*</c> may stand for <c>%</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Like(string column, string pattern) => Where(column, "like", pattern);

    /// <summary><c>column ILIKE pattern</c> (case-insensitive); <c>*</c> may stand for <c>%</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The pattern.</param>
    /// <returns>The filter.</returns>
    public static RestFilter ILike(string column, string pattern) => Where(column, "ilike", pattern);

    /// <summary><c>column ~ regex</c> (<c>match</c>).</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The POSIX regular expression.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Match(string column, string pattern) => Where(column, "match", pattern);

    /// <summary><c>column ~* regex</c> (<c>imatch</c>, case-insensitive).</summary>
    /// <param name="column">The column.</param>
    /// <param name="pattern">The POSIX regular expression.</param>
    /// <returns>The filter.</returns>
    public static RestFilter IMatch(string column, string pattern) => Where(column, "imatch", pattern);

    /// <summary><c>column IN (values)</c>; values holding <c>,</c> <c>.</c> <c>:</c> <c>(</c> <c>)</c> or quotes are quoted. An empty list matches nothing.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter In<T>(string column, IEnumerable<T> values)
    {
        Guard.NotBlank(column, "column");
        ArgumentNullException.ThrowIfNull(values);
        var list = new StringBuilder("(");
        var first = true;
        foreach (var value in values)
        {
            if (!first)
            {
                list.Append(',');
            }

            first = false;
            list.Append(RestText.QuoteListItem(RestText.Format(value)));
        }

        return new RestFilter(column, "in", list.Append(')').ToString(), true, null, null, null, false);
    }

    /// <summary><c>column IS NULL</c>, <c>IS TRUE</c> or <c>IS FALSE</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value"><see langword="null"/>, <see langword="true"/> or <see langword="false"/>.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Is(string column, bool? value) => Where(column, "is", value);

    /// <summary><c>column IS DISTINCT FROM value</c>.</summary>
    /// <param name="column">The column.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter IsDistinct(string column, object? value) => Where(column, "isdistinct", value);

    /// <summary><c>column @&gt; {values}</c> (<c>cs</c>): an array column contains all the values.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The array column.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Contains<T>(string column, IEnumerable<T> values) => Where(column, "cs", ArrayOf(values));

    /// <summary><c>column @&gt; json</c> (<c>cs</c>): a JSONB column contains the object or array.</summary>
    /// <param name="column">The JSONB column.</param>
    /// <param name="json">The JSON value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Contains(string column, System.Text.Json.Nodes.JsonNode json) => Where(column, "cs", json);

    /// <summary><c>column &lt;@ {values}</c> (<c>cd</c>): every element of the array column is among the values.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The array column.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter ContainedBy<T>(string column, IEnumerable<T> values) => Where(column, "cd", ArrayOf(values));

    /// <summary><c>column &lt;@ json</c> (<c>cd</c>) for JSONB.</summary>
    /// <param name="column">The JSONB column.</param>
    /// <param name="json">The JSON value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter ContainedBy(string column, System.Text.Json.Nodes.JsonNode json) => Where(column, "cd", json);

    /// <summary><c>column &amp;&amp; {values}</c> (<c>ov</c>): the array column shares at least one element with the values.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The array column.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Overlaps<T>(string column, IEnumerable<T> values) => Where(column, "ov", ArrayOf(values));

    /// <summary>Range operator <c>sl</c> (<c>&lt;&lt;</c>, strictly left of), e.g. range <c>[1,5)</c>.</summary>
    /// <param name="column">The range column.</param>
    /// <param name="range">The range literal.</param>
    /// <returns>The filter.</returns>
    public static RestFilter StrictlyLeft(string column, string range) => Where(column, "sl", range);

    /// <summary>Range operator <c>sr</c> (<c>&gt;&gt;</c>, strictly right of).</summary>
    /// <param name="column">The range column.</param>
    /// <param name="range">The range literal.</param>
    /// <returns>The filter.</returns>
    public static RestFilter StrictlyRight(string column, string range) => Where(column, "sr", range);

    /// <summary>Range operator <c>nxr</c> (<c>&amp;&lt;</c>, does not extend to the right of).</summary>
    /// <param name="column">The range column.</param>
    /// <param name="range">The range literal.</param>
    /// <returns>The filter.</returns>
    public static RestFilter NotExtendRight(string column, string range) => Where(column, "nxr", range);

    /// <summary>Range operator <c>nxl</c> (<c>&amp;&gt;</c>, does not extend to the left of).</summary>
    /// <param name="column">The range column.</param>
    /// <param name="range">The range literal.</param>
    /// <returns>The filter.</returns>
    public static RestFilter NotExtendLeft(string column, string range) => Where(column, "nxl", range);

    /// <summary>Range operator <c>adj</c> (<c>-|-</c>, adjacent to).</summary>
    /// <param name="column">The range column.</param>
    /// <param name="range">The range literal.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Adjacent(string column, string range) => Where(column, "adj", range);

    /// <summary>Full-text search (<c>fts</c>, <c>plfts</c>, <c>phfts</c>, <c>wfts</c>).</summary>
    /// <param name="column">The tsvector (or text) column.</param>
    /// <param name="query">The query text.</param>
    /// <param name="type">Which PostgreSQL query parser to use.</param>
    /// <param name="config">The text-search configuration, e.g. <c>english</c>; <see langword="null"/> for the default.</param>
    /// <returns>The filter.</returns>
    public static RestFilter TextSearch(string column, string query, TextSearchType type = TextSearchType.Plain, string? config = null)
    {
        var op = type switch
        {
            TextSearchType.Query => "fts",
            TextSearchType.Plain => "plfts",
            TextSearchType.Phrase => "phfts",
            TextSearchType.WebSearch => "wfts",
            _ => throw CrmErrors.Invalid("type", $"{type} is not a text-search type."),
        };
        return Where(column, config is null ? op : $"{op}({config})", query);
    }

    /// <summary>A quantified comparison: <c>op(any).{values}</c>, e.g. <c>like(any).{a*,b*}</c>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="op">One of <c>eq</c>, <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>like</c>, <c>ilike</c>, <c>match</c>, <c>imatch</c>.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Any<T>(string column, string op, IEnumerable<T> values) => Where(column, op + "(any)", ArrayOf(values));

    /// <summary>A quantified comparison: <c>op(all).{values}</c>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="column">The column.</param>
    /// <param name="op">One of <c>eq</c>, <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>like</c>, <c>ilike</c>, <c>match</c>, <c>imatch</c>.</param>
    /// <param name="values">The values.</param>
    /// <returns>The filter.</returns>
    public static RestFilter All<T>(string column, string op, IEnumerable<T> values) => Where(column, op + "(all)", ArrayOf(values));

    /// <summary>
    /// Any operator: <c>column=op.value</c>. Values are written as PostgreSQL reads untyped literals: <see langword="null"/> as
    /// <c>null</c>, booleans as <c>true</c>/<c>false</c>, <see cref="Guid"/> in <c>D</c> format, <see cref="DateTimeOffset"/> in
    /// ISO 8601 UTC with microseconds, SDK enums in database spelling (<c>on_hold</c>), JSON nodes as JSON, numbers invariant.
    /// </summary>
    /// <param name="column">The column.</param>
    /// <param name="op">The PostgREST operator, e.g. <c>eq</c>.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Where(string column, string op, object? value)
    {
        Guard.NotBlank(column, "column");
        Guard.NotBlank(op, "operator");
        return new RestFilter(column, op, RestText.Format(value), false, null, null, null, false);
    }

    /// <summary>True when any of the filters is (<c>or</c>).</summary>
    /// <param name="filters">The filters.</param>
    /// <returns>The tree.</returns>
    public static RestFilter Or(params RestFilter[] filters) => Tree("or", filters);

    /// <summary>True when all of the filters are (<c>and</c>).</summary>
    /// <param name="filters">The filters.</param>
    /// <returns>The tree.</returns>
    public static RestFilter And(params RestFilter[] filters) => Tree("and", filters);

    /// <summary>Negates a filter (<c>not.</c>).</summary>
    /// <param name="filter">The filter.</param>
    /// <returns>The negated filter.</returns>
    public static RestFilter Not(RestFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new RestFilter(filter._column, filter._operator, filter._value, filter._valueIsList, filter._logic, filter._children, filter._raw, !filter._negated);
    }

    /// <summary>A term written by hand in PostgREST syntax (used as is, no quoting), e.g. <c>age.gt.18</c> inside a tree.</summary>
    /// <param name="expression">The term.</param>
    /// <returns>The filter.</returns>
    public static RestFilter Raw(string expression)
    {
        Guard.NotBlank(expression, "filter");
        return new RestFilter(null, null, null, false, null, null, expression, false);
    }

    /// <summary>The filter as a logic-tree term, e.g. <c>status.eq.open</c> or <c>or(a.eq.1,b.eq.2)</c>.</summary>
    /// <returns>The term.</returns>
    public override string ToString() => RenderTerm();

    /// <summary>The query-string key and value for this filter at the top level.</summary>
    internal KeyValuePair<string, string> ToParameter()
    {
        if (_raw is not null)
        {
            throw CrmErrors.Invalid("filter", "A raw filter can only be used inside Or/And.");
        }

        if (_logic is not null)
        {
            return new((_negated ? "not." : "") + _logic, "(" + string.Join(',', _children!.Select(c => c.RenderTerm())) + ")");
        }

        return new(_column!, (_negated ? "not." : "") + _operator + "." + _value);
    }

    private string RenderTerm()
    {
        if (_raw is not null)
        {
            return _raw;
        }

        if (_logic is not null)
        {
            return (_negated ? "not." : "") + _logic + "(" + string.Join(',', _children!.Select(c => c.RenderTerm())) + ")";
        }

        var value = _valueIsList ? _value : RestText.QuoteListItem(_value!);
        return _column + "." + (_negated ? "not." : "") + _operator + "." + value;
    }

    private static RestFilter Tree(string logic, RestFilter[] filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Length == 0)
        {
            throw CrmErrors.Invalid("filter", "A logic tree needs at least one filter.");
        }

        return new RestFilter(null, null, null, false, logic, [.. filters], null, false);
    }

    private static string ArrayOf<T>(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return RestText.ArrayLiteral(values.Select(v => RestText.Format(v)));
    }
}
