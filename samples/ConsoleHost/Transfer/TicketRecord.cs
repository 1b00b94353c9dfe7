using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>One ticket of an import file, checked: the fields the file gave, in their JSON form. The export writes the
/// same field names, so an export can be imported back.</summary>
internal sealed record TicketRecord
{
    internal static readonly string[] Statuses = ["new", "open", "pending", "on_hold", "solved", "closed"];

    internal static readonly string[] Priorities = ["low", "normal", "high", "urgent"];

    public required int Line { get; init; }

    public required Guid Id { get; init; }

    public required string Subject { get; init; }

    public string? Status { get; init; }

    public string? Priority { get; init; }

    public string? Queue { get; init; }

    public string? Requester { get; init; }

    public Guid? AssigneeId { get; init; }

    public JsonArray? Tags { get; init; }

    public JsonObject? Metadata { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public string? Description { get; init; }

    public IReadOnlyList<MessageRecord> Messages { get; init; } = [];

    /// <summary>Reads and checks one JSON object (a JSON Lines line, or a CSV row turned into one).</summary>
    /// <exception cref="FormatException">The record is unusable; the message says why.</exception>
    internal static TicketRecord Parse(int line, JsonObject o)
    {
        var subject = Text(o, "subject");
        if (string.IsNullOrWhiteSpace(subject))
        {
            throw new FormatException("subject is required");
        }

        if (subject.Length > 300)
        {
            throw new FormatException("subject is longer than 300 characters");
        }

        Guid id;
        var sourceKey = Text(o, "source_key") ?? Text(o, "key") ?? Text(o, "external_id");
        if (Text(o, "id") is { } idText)
        {
            id = Guid.TryParse(idText, out var parsed) ? parsed : throw new FormatException($"id '{idText}' is not a uuid");
        }
        else if (!string.IsNullOrWhiteSpace(sourceKey))
        {
            id = DeterministicId.From(sourceKey);
        }
        else
        {
            throw new FormatException("source_key (or id) is required so that re-importing creates no duplicates");
        }

        var status = Choice(o, "status", Statuses);
        var priority = Choice(o, "priority", Priorities);
        var queue = Text(o, "queue") ?? Text(o, "queue_id");
        var requester = Text(o, "requester") ?? Text(o, "requester_email") ?? Text(o, "requester_id");
        Guid? assignee = Text(o, "assignee_id") is { } a ? (Guid.TryParse(a, out var g) ? g : throw new FormatException($"assignee_id '{a}' is not a uuid")) : null;
        var tags = o["tags"] switch
        {
            null => null,
            JsonArray array when array.All(t => t is JsonValue v && v.TryGetValue<string>(out _)) => array.DeepClone().AsArray(),
            JsonValue v when v.TryGetValue<string>(out var s) => new JsonArray([.. s.Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode?)JsonValue.Create(t))]),
            _ => throw new FormatException("tags must be a list of strings (CSV: separated by ';')"),
        };
        var metadata = o["metadata"] switch
        {
            null => null,
            JsonObject m => m.DeepClone().AsObject(),
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length == 0 => null,
            JsonValue v when v.TryGetValue<string>(out var s) => ParseObject(s, "metadata"),
            _ => throw new FormatException("metadata must be a JSON object"),
        };
        var created = Time(o, "created_at");
        var messages = new List<MessageRecord>();
        if (o["conversation_history"] is JsonArray history)
        {
            var index = 0;
            foreach (var node in history)
            {
                messages.Add(MessageRecord.Parse(id, index++, node as JsonObject ?? throw new FormatException("conversation_history items must be objects")));
            }
        }
        else if (o["conversation_history"] is not null)
        {
            throw new FormatException("conversation_history must be a list");
        }

        return new TicketRecord
        {
            Line = line,
            Id = id,
            Subject = subject,
            Status = status,
            Priority = priority,
            Queue = queue,
            Requester = requester,
            AssigneeId = assignee,
            Tags = tags,
            Metadata = metadata,
            CreatedAt = created,
            Description = Text(o, "description"),
            Messages = messages,
        };
    }

    internal static string? Text(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0 ? null : s,
        JsonValue v => v.ToJsonString(),
        _ => throw new FormatException($"{name} must be a string"),
    };

    internal static DateTimeOffset? Time(JsonObject o, string name) =>
        Text(o, name) is { } t
            ? DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : throw new FormatException($"{name} '{t}' is not a date/time")
            : null;

    private static string? Choice(JsonObject o, string name, string[] allowed)
    {
        var value = Text(o, name)?.Trim().ToLowerInvariant().Replace('-', '_');
        return value is null || allowed.Contains(value)
            ? value
            : throw new FormatException($"{name} '{value}' is not one of {string.Join(", ", allowed)}");
    }

    private static JsonObject ParseObject(string text, string name)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new FormatException($"{name} must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{name} is not valid JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>One message of an imported ticket's conversation.</summary>
internal sealed record MessageRecord
{
    public required Guid Id { get; init; }

    public required string Body { get; init; }

    public required string Visibility { get; init; }

    public Guid? AuthorId { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    internal static MessageRecord Parse(Guid ticketId, int index, JsonObject o)
    {
        var body = TicketRecord.Text(o, "body") ?? throw new FormatException($"conversation_history[{index}].body is required");
        var visibility = (TicketRecord.Text(o, "visibility") ?? "public").ToLowerInvariant();
        if (visibility is not ("public" or "internal"))
        {
            throw new FormatException($"conversation_history[{index}].visibility must be public or internal");
        }

        return new MessageRecord
        {
            Id = TicketRecord.Text(o, "id") is { } id && Guid.TryParse(id, out var g) ? g : DeterministicId.From($"{ticketId}:message:{index}"),
            Body = body,
            Visibility = visibility,
            AuthorId = TicketRecord.Text(o, "author_id") is { } a && Guid.TryParse(a, out var author) ? author : null,
            CreatedAt = TicketRecord.Time(o, "created_at"),
        };
    }
}
