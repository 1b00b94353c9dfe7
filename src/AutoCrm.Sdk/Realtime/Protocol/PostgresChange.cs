using System.Text.Json;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>A <c>postgres_changes</c> subscription entry of a join config (the user's filter, verbatim).</summary>
internal sealed record PostgresChangesBinding(string Event, string Schema, string? Table, string? Filter)
{
    /// <summary>The id the server assigned in the join reply; messages name the bindings they matched by it.</summary>
    public long? Id { get; set; }

    public bool Accepts(string type) => Event == "*" || string.Equals(Event, type, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The <c>data</c> of a <c>postgres_changes</c> message.</summary>
internal readonly struct PostgresChange
{
    public required string Type { get; init; }

    public required string Schema { get; init; }

    public required string Table { get; init; }

    public DateTimeOffset CommitTimestamp { get; init; }

    /// <summary>The new row (INSERT, UPDATE), else an undefined element.</summary>
    public JsonElement Record { get; init; }

    /// <summary>The old row (UPDATE with replica identity full, DELETE), else an undefined element.</summary>
    public JsonElement OldRecord { get; init; }

    /// <summary>Server-side errors (e.g. "Error 413: Payload Too Large"), or null.</summary>
    public JsonElement Errors { get; init; }

    public static PostgresChange Parse(JsonElement data)
    {
        string type = "", schema = "", table = "";
        DateTimeOffset commit = default;
        JsonElement record = default, old = default, errors = default;
        foreach (var property in data.EnumerateObject())
        {
            if (property.NameEquals("type"u8))
            {
                type = property.Value.GetString() ?? "";
            }
            else if (property.NameEquals("schema"u8))
            {
                schema = property.Value.GetString() ?? "";
            }
            else if (property.NameEquals("table"u8))
            {
                table = property.Value.GetString() ?? "";
            }
            else if (property.NameEquals("commit_timestamp"u8))
            {
                if (property.Value.ValueKind == JsonValueKind.String && property.Value.TryGetDateTimeOffset(out var t))
                {
                    commit = t;
                }
            }
            else if (property.NameEquals("record"u8))
            {
                record = property.Value;
            }
            else if (property.NameEquals("old_record"u8))
            {
                old = property.Value;
            }
            else if (property.NameEquals("errors"u8))
            {
                errors = property.Value;
            }
        }

        return new PostgresChange
        {
            Type = type,
            Schema = schema,
            Table = table,
            CommitTimestamp = commit,
            Record = record,
            OldRecord = old,
            Errors = errors,
        };
    }

    public bool HasErrors => Errors.ValueKind == JsonValueKind.Array && Errors.GetArrayLength() > 0;
}
