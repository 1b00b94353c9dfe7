using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

/// <summary>
/// Parses the ticket query language (docs/search.md). A token is a filter when it reads <c>[-]key op value</c> with a
/// key of letters (or <c>field.name</c>) and a non-empty value; every other token is free text, passed on as typed.
/// Filters go into a <see cref="TicketQuery"/>; a bad filter is a <see cref="TicketSearchProblem"/> naming the token.
/// </summary>
internal static partial class TicketSearchParser
{
    internal static readonly string[] Keys = ["status", "priority", "tag", "queue", "assignee", "requester", "created", "updated", "subject", "metadata", "field.<name>"];

    public static bool TryParse(string query, DateTimeOffset now, out TicketSearchQuery? result, out TicketSearchProblem? problem)
    {
        result = null;
        if (query.Length > TicketSearchQuery.MaxLength)
        {
            problem = TicketSearchProblem.At(TicketSearchQuery.MaxLength, query[TicketSearchQuery.MaxLength..],
                string.Create(CultureInfo.InvariantCulture, $"A query has at most {TicketSearchQuery.MaxLength} characters; this one has {query.Length}"));
            return false;
        }

        var state = new State(now);
        var text = new List<string>();
        foreach (var token in Tokenize(query))
        {
            var match = FilterToken().Match(token.Text);
            if (!match.Success || match.Groups["value"].Value.StartsWith("//", StringComparison.Ordinal))
            {
                text.Add(token.Text);
                continue;
            }

            var key = match.Groups["key"].Value.ToLowerInvariant();
            var known = key is "status" or "priority" or "tag" or "queue" or "assignee" or "requester" or "created" or "updated" or "subject" or "metadata"
                || key.StartsWith("field.", StringComparison.Ordinal);
            if (match.Groups["value"].Value.Length == 0)
            {
                if (!known && key != "field")
                {
                    text.Add(token.Text); // "Re:" and the like are words
                    continue;
                }

                problem = TicketSearchProblem.At(token.Start, token.Text, $"'{key}' needs a value after '{match.Groups["op"].Value}'");
                return false;
            }

            if (!known)
            {
                problem = TicketSearchProblem.At(token.Start, token.Text, UnknownKey(key));
                return false;
            }

            if (token.UnclosedQuote)
            {
                problem = TicketSearchProblem.At(token.Start, token.Text, "The quote in this value is not closed");
                return false;
            }

            var clause = new Clause(token, key, match.Groups["neg"].Success, match.Groups["op"].Value, match.Groups["value"].Value);
            var error = state.Apply(clause);
            if (error is not null)
            {
                problem = TicketSearchProblem.At(token.Start, token.Text, error);
                return false;
            }
        }

        problem = null;
        result = new TicketSearchQuery { Text = string.Join(' ', text), Filter = state.Query };
        return true;
    }

    // ---- tokens ------------------------------------------------------------------------------------

    internal readonly record struct Token(int Start, string Text, bool UnclosedQuote);

    /// <summary>Splits on whitespace, keeping quoted spans whole: a quote opens a span at the start of a token (after an
    /// optional '-') or right after a filter operator; inside, a backslash escapes the next character.</summary>
    internal static IEnumerable<Token> Tokenize(string query)
    {
        var i = 0;
        while (i < query.Length)
        {
            while (i < query.Length && char.IsWhiteSpace(query[i]))
            {
                i++;
            }

            if (i >= query.Length)
            {
                yield break;
            }

            var start = i;
            var quote = '\0';
            while (i < query.Length)
            {
                var c = query[i];
                if (quote != '\0')
                {
                    if (c == '\\' && i + 1 < query.Length)
                    {
                        i += 2;
                        continue;
                    }

                    if (c == quote)
                    {
                        quote = '\0';
                    }

                    i++;
                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    break;
                }

                var atStart = i == start || (i == start + 1 && query[start] == '-');
                var afterOperator = i > start && query[i - 1] is ':' or '>' or '<' or '=' && FilterPrefix().IsMatch(query.AsSpan(start, i - start));
                if ((c == '"' && (atStart || afterOperator)) || (c == '\'' && afterOperator))
                {
                    quote = c;
                }

                i++;
            }

            yield return new Token(start, query[start..i], quote != '\0');
        }
    }

    [GeneratedRegex(@"^(?<neg>-)?(?<key>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)(?<op>>=|<=|:|>|<)(?<value>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FilterToken();

    [GeneratedRegex(@"^-?[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?(?:>=|<=|:|>|<)$", RegexOptions.CultureInvariant)]
    private static partial Regex FilterPrefix();

    /// <summary>The values of a filter: comma-separated, each bare or quoted ("…" or '…', backslash escapes).</summary>
    internal static bool TrySplitValues(string value, out List<string> values, out string? error)
    {
        values = [];
        error = null;
        var i = 0;
        while (true)
        {
            var item = new StringBuilder();
            if (i < value.Length && value[i] is '"' or '\'')
            {
                var quote = value[i++];
                var closed = false;
                while (i < value.Length)
                {
                    var c = value[i++];
                    if (c == '\\' && i < value.Length)
                    {
                        item.Append(value[i++]);
                    }
                    else if (c == quote)
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        item.Append(c);
                    }
                }

                if (!closed)
                {
                    error = "The quote in this value is not closed";
                    return false;
                }

                if (i < value.Length && value[i] != ',')
                {
                    error = "A quoted value must end at a comma or the end of the token";
                    return false;
                }
            }
            else
            {
                while (i < value.Length && value[i] != ',')
                {
                    item.Append(value[i++]);
                }

                if (item.Length == 0)
                {
                    error = "A list has an empty value";
                    return false;
                }
            }

            values.Add(item.ToString());
            if (i >= value.Length)
            {
                return true;
            }

            i++; // the comma
            if (i >= value.Length)
            {
                error = "A list ends with a comma";
                return false;
            }
        }
    }

    private static string UnknownKey(string key)
    {
        var message = $"Unknown filter '{key}'";
        var suggestion = Keys.Where(k => !k.Contains('<', StringComparison.Ordinal))
            .Select(k => (Key: k, Distance: Distance(k, key)))
            .Where(k => k.Distance <= 2)
            .OrderBy(k => k.Distance)
            .Select(k => k.Key)
            .FirstOrDefault();
        if (key == "field")
        {
            return "A field filter names the field: field.<name>:value, such as field.plan:pro";
        }

        return (suggestion is null ? message : message + $"; did you mean '{suggestion}'?")
            + " Known filters: " + string.Join(", ", Keys) + ". To search for text with a colon, put it in quotes";
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    // ---- clauses -----------------------------------------------------------------------------------

    internal sealed record Clause(Token Token, string Key, bool Negated, string Operator, string Value);
}
