using System.Globalization;
using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Search;

/// <summary>Why a query in the ticket query language did not parse, and where (for marking the token in a search box).</summary>
public sealed record TicketSearchProblem
{
    /// <summary>The offset of the offending token in the query (0-based, in UTF-16 code units).</summary>
    public required int Position { get; init; }

    /// <summary>The token's length.</summary>
    public required int Length { get; init; }

    /// <summary>The token as written.</summary>
    public required string Token { get; init; }

    /// <summary>What is wrong, as a sentence fit to show (it names the token and its position).</summary>
    public required string Message { get; init; }

    /// <summary>The exception <see cref="TicketSearchQuery.Parse"/> throws for this problem.</summary>
    /// <returns>A <see cref="CrmValidationException"/> with code <c>invalid_query</c> and field <c>query</c>.</returns>
    public CrmValidationException ToException()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("position", Position);
            writer.WriteNumber("length", Length);
            writer.WriteString("token", Token);
            writer.WriteEndObject();
        }

        return new CrmValidationException(new CrmErrorInfo
        {
            Status = 400,
            Code = "invalid_query",
            Field = "query",
            Message = Message,
            Details = System.Text.Encoding.UTF8.GetString(buffer.ToArray()),
            IsTransient = false,
        });
    }

    internal static TicketSearchProblem At(int position, string token, string what) => new()
    {
        Position = position,
        Length = token.Length,
        Token = token,
        Message = string.Create(CultureInfo.InvariantCulture, $"{what} (at position {position + 1}: {Quote(token)})."),
    };

    private static string Quote(string token) => token.Length <= 60 ? "'" + token + "'" : "'" + token[..57] + "...'";
}
