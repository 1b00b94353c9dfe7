using System.Text.Json;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.AI.Internal;

/// <summary>
/// Reads a model's structured answer strictly: one JSON object (optionally inside one Markdown code fence, which models
/// add), exactly the properties asked for with the types asked for, nothing else. Anything else is a
/// <see cref="CrmException"/> with code <c>ai_invalid_response</c> (transient: the model may answer well next time); the
/// parser never throws anything else, and the message names what was wrong, never the answer's text.
/// </summary>
internal static class AiAnswers
{
    public const string InvalidResponse = "ai_invalid_response";

    private static readonly JsonDocumentOptions Strict = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 };

    public static (string Summary, IReadOnlyList<string> OpenQuestions) Summary(string? text)
    {
        using var document = Parse(text, "summary", "open_questions");
        var root = document.RootElement;
        return (RequiredString(root, "summary", 4_000), StringList(root, "open_questions", maxCount: 10, maxLength: 300, lowerCase: false));
    }

    public static string Reply(string? text)
    {
        using var document = Parse(text, "reply");
        return RequiredString(document.RootElement, "reply", 10_000);
    }

    public static (TicketPriority Priority, IReadOnlyList<string> Tags, string Language, TicketSentiment Sentiment) Triage(
        string? text, IReadOnlyList<string> allowedTags)
    {
        using var document = Parse(text, "priority", "tags", "language", "sentiment");
        var root = document.RootElement;
        var priority = RequiredString(root, "priority", 10) switch
        {
            "low" => TicketPriority.Low,
            "normal" => TicketPriority.Normal,
            "high" => TicketPriority.High,
            "urgent" => TicketPriority.Urgent,
            _ => throw Invalid("\"priority\" is not one of low, normal, high, urgent."),
        };
        var tags = StringList(root, "tags", maxCount: 5, maxLength: 50, lowerCase: true);
        if (allowedTags.Count > 0 && tags.FirstOrDefault(t => !allowedTags.Contains(t)) is { } unknown)
        {
            throw Invalid($"\"tags\" holds a tag that is not offered ({unknown.Length} characters).");
        }

        var language = RequiredString(root, "language", 35);
        if (!IsLanguageTag(language))
        {
            throw Invalid("\"language\" is not a language tag such as en or pt-BR.");
        }

        var sentiment = RequiredString(root, "sentiment", 10) switch
        {
            "negative" => TicketSentiment.Negative,
            "neutral" => TicketSentiment.Neutral,
            "positive" => TicketSentiment.Positive,
            _ => throw Invalid("\"sentiment\" is not one of negative, neutral, positive."),
        };
        return (priority, tags, language, sentiment);
    }

    /// <summary>The same rule as the database's: 2–3 lower-case letters, then subtags of 2–8 letters or digits.</summary>
    public static bool IsLanguageTag(string value)
    {
        var parts = value.Split('-');
        if (parts[0].Length is < 2 or > 3 || !parts[0].All(char.IsAsciiLetterLower))
        {
            return false;
        }

        return parts.Skip(1).All(p => p.Length is >= 2 and <= 8 && p.All(char.IsAsciiLetterOrDigit));
    }

    public static CrmException Invalid(string problem) => new(new CrmErrorInfo
    {
        Status = 0,
        Code = InvalidResponse,
        Message = "The model's answer is not the JSON that was asked for: " + problem,
        IsTransient = true,
    });

    private static JsonDocument Parse(string? text, params string[] properties)
    {
        var json = Unfenced(text ?? "");
        if (json.Length == 0)
        {
            throw Invalid("the answer is empty.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Strict);
        }
        catch (JsonException)
        {
            throw Invalid("the answer is not valid JSON.");
        }

        try
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("the answer is not a JSON object.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!properties.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw Invalid($"it has a property that was not asked for ({property.Name.Length} characters).");
                }

                if (!seen.Add(property.Name))
                {
                    throw Invalid($"\"{property.Name}\" appears twice.");
                }
            }

            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>The text inside one Markdown code fence (```json … ```), or the text itself.</summary>
    private static string Unfenced(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal) || !trimmed.EndsWith("```", StringComparison.Ordinal) || trimmed.Length < 6)
        {
            return trimmed;
        }

        var body = trimmed[3..^3];
        var newline = body.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0)
        {
            return body.Trim();
        }

        var language = body[..newline].Trim();
        return language.Length == 0 || language.Equals("json", StringComparison.OrdinalIgnoreCase) ? body[(newline + 1)..].Trim() : trimmed;
    }

    private static string RequiredString(JsonElement root, string name, int maxLength)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            throw Invalid($"\"{name}\" is missing.");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"\"{name}\" is not a string.");
        }

        var text = value.GetString()!.Trim();
        if (text.Length == 0 || text.Length > maxLength)
        {
            throw Invalid($"\"{name}\" must be 1 to {maxLength} characters.");
        }

        return text;
    }

    private static IReadOnlyList<string> StringList(JsonElement root, string name, int maxCount, int maxLength, bool lowerCase)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            throw Invalid($"\"{name}\" is missing.");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"\"{name}\" is not an array.");
        }

        if (value.GetArrayLength() > maxCount)
        {
            throw Invalid($"\"{name}\" has more than {maxCount} items.");
        }

        var items = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"\"{name}\" holds something that is not a string.");
            }

            var text = item.GetString()!.Trim();
            if (text.Length == 0 || text.Length > maxLength)
            {
                throw Invalid($"each of \"{name}\" must be 1 to {maxLength} characters.");
            }

            text = lowerCase ? text.ToLowerInvariant() : text;
            if (!items.Contains(text, StringComparer.Ordinal))
            {
                items.Add(text);
            }
        }

        return items;
    }
}
