using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

/// <summary>
/// A search in the ticket query language (docs/search.md): filters such as <c>status:open,pending priority&gt;=high
/// tag:billing -tag:spam queue:general assignee:me requester:carol@customer.demo created&gt;2026-01-01 updated&lt;7d
/// field.plan:pro</c>, and free text (words, <c>"exact phrases"</c>, <c>-excluded</c> words, <c>or</c>, <c>#123</c>).
/// Parsing splits a query into <see cref="Filter"/> (a <see cref="TicketQuery"/>) and <see cref="Text"/>;
/// <see cref="ToString"/> renders it back, so the two round-trip.
/// </summary>
/// <example>
/// <code>
/// var search = TicketSearchQuery.Parse("status:open tag:billing \"double charge\"");
/// // search.Filter.Statuses = [Open], search.Filter.TagsAll = ["billing"], search.Text = "\"double charge\""
/// await foreach (var hit in crm.Tickets.SearchAsync(search)) Console.WriteLine($"{hit.Ticket.Number} {hit.Snippet}");
/// </code>
/// </example>
public sealed record TicketSearchQuery
{
    /// <summary>The largest query, in characters (the server refuses longer ones too).</summary>
    public const int MaxLength = 1000;

    /// <summary>The free text: words, quoted phrases, <c>-excluded</c> words, <c>or</c> and <c>#numbers</c>, as typed.
    /// Empty when the query has only filters.</summary>
    public string Text { get; init; } = "";

    /// <summary>The filters. Its sort, count and page size are not part of the language.</summary>
    public TicketQuery Filter { get; init; } = new();

    /// <summary>Whether the query has free text (and so needs full-text search, with rank and snippets).</summary>
    public bool HasText => Text.Length > 0;

    /// <summary>Parses a query.</summary>
    /// <param name="query">The query text.</param>
    /// <param name="timeProvider">The clock for relative times (<c>updated&lt;7d</c>); the system clock when omitted.</param>
    /// <returns>The parsed query.</returns>
    /// <exception cref="CrmValidationException">The query is malformed: an unknown key, a bad value or operator, an
    /// unclosed quote, or too long (code <c>invalid_query</c>, field <c>query</c>; the message names the token and its
    /// position, and <see cref="CrmException.Details"/> holds <c>{"position", "length", "token"}</c> as JSON).</exception>
    public static TicketSearchQuery Parse(string query, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        return TryParse(query, out var result, out var problem, timeProvider) ? result : throw problem.ToException();
    }

    /// <summary>Parses a query without throwing: for a search box that marks the offending token as the user types.</summary>
    /// <param name="query">The query text.</param>
    /// <param name="result">The parsed query, or <see langword="null"/>.</param>
    /// <param name="problem">What is wrong and where, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for relative times; the system clock when omitted.</param>
    /// <returns><see langword="true"/> when the query parsed.</returns>
    public static bool TryParse(
        string query,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TicketSearchQuery? result,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out TicketSearchProblem? problem,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        return TicketSearchParser.TryParse(query, (timeProvider ?? TimeProvider.System).GetUtcNow(), out result, out problem);
    }

    /// <summary>The query for a <see cref="TicketQuery"/>'s filters (its sort, count and page size are not carried).</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="text">Free text to add.</param>
    /// <returns>The search.</returns>
    public static TicketSearchQuery From(TicketQuery filter, string text = "")
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(text);
        return new TicketSearchQuery { Filter = filter, Text = text.Trim() };
    }

    /// <summary>The query in the language: filters first (in a fixed order), then the free text. Parsing it gives the same
    /// filters and text back. Relative times were resolved when parsed, so they come back as timestamps.</summary>
    /// <returns>The query text.</returns>
    public override string ToString() => TicketSearchFormatter.Format(this);
}
