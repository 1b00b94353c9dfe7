using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

/// <summary>A ticket found by <see cref="TicketsClient.SearchAsync(TicketSearchQuery, CancellationToken)"/>, with its
/// relevance and the text that matched.</summary>
[JsonConverter(typeof(TicketSearchHitConverter))]
public sealed record TicketSearchHit
{
    /// <summary>The ticket.</summary>
    public required Ticket Ticket { get; init; }

    /// <summary>Relevance, higher is better: a subject match ranks above a match deep in the conversation; a
    /// <c>#number</c> match above any text match. 0 for a search without text.</summary>
    public float Rank { get; init; }

    /// <summary>The best matching text the caller may read (a customer never gets an internal note), HTML-escaped, with
    /// <c>&lt;mark&gt;…&lt;/mark&gt;</c> around the matched words; <see langword="null"/> when nothing in the text
    /// matched (a <c>#number</c>, a requester, or no text). See <see cref="SnippetParts"/> to render it without HTML.</summary>
    public string? Snippet { get; init; }

    /// <summary>The snippet as plain-text parts, each marked as matched or not (the HTML escaping undone), for a caller
    /// that renders it without inserting HTML.</summary>
    /// <returns>The parts in order; empty when there is no snippet.</returns>
    public IReadOnlyList<TicketSearchSnippetPart> SnippetParts() => TicketSearchSnippetPart.Parse(Snippet);
}

/// <summary>A run of snippet text, matched or not (see <see cref="TicketSearchHit.SnippetParts"/>).</summary>
public sealed record TicketSearchSnippetPart
{
    /// <summary>The plain text.</summary>
    public required string Text { get; init; }

    /// <summary>Whether it matched the query (the server marked it).</summary>
    public bool Matched { get; init; }

    internal static IReadOnlyList<TicketSearchSnippetPart> Parse(string? snippet)
    {
        if (string.IsNullOrEmpty(snippet))
        {
            return [];
        }

        var parts = new List<TicketSearchSnippetPart>();
        var rest = snippet.AsSpan();
        while (rest.Length > 0)
        {
            var open = rest.IndexOf("<mark>", StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new() { Text = Unescape(rest) });
                break;
            }

            if (open > 0)
            {
                parts.Add(new() { Text = Unescape(rest[..open]) });
            }

            rest = rest[(open + "<mark>".Length)..];
            var close = rest.IndexOf("</mark>", StringComparison.Ordinal);
            var marked = close < 0 ? rest : rest[..close];
            parts.Add(new() { Text = Unescape(marked), Matched = true });
            rest = close < 0 ? [] : rest[(close + "</mark>".Length)..];
        }

        return parts;
    }

    private static string Unescape(ReadOnlySpan<char> text) =>
        text.ToString().Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal)
            .Replace("&amp;", "&", StringComparison.Ordinal);
}

/// <summary>Reads a row of <c>search_tickets</c> (the ticket's columns plus <c>rank</c> and <c>snippet</c>) and writes
/// one back in the same flat shape.</summary>
internal sealed class TicketSearchHitConverter : JsonConverter<TicketSearchHit>
{
    public override TicketSearchHit Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var row = document.RootElement;
        if (row.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A search hit is a JSON object.");
        }

        var ticket = row.Deserialize(CrmJsonContext.Default.Ticket) ?? throw new JsonException("A search hit has no ticket.");
        return new TicketSearchHit
        {
            Ticket = ticket,
            Rank = row.TryGetProperty("rank", out var rank) && rank.ValueKind == JsonValueKind.Number ? rank.GetSingle() : 0,
            Snippet = row.TryGetProperty("snippet", out var snippet) && snippet.ValueKind == JsonValueKind.String ? snippet.GetString() : null,
        };
    }

    public override void Write(Utf8JsonWriter writer, TicketSearchHit value, JsonSerializerOptions options)
    {
        var ticket = JsonSerializer.SerializeToElement(value.Ticket, CrmJsonContext.Default.Ticket);
        writer.WriteStartObject();
        foreach (var property in ticket.EnumerateObject())
        {
            property.WriteTo(writer);
        }

        writer.WriteNumber("rank", value.Rank);
        if (value.Snippet is null)
        {
            writer.WriteNull("snippet");
        }
        else
        {
            writer.WriteString("snippet", value.Snippet);
        }

        writer.WriteEndObject();
    }
}
