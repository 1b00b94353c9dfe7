using System.Text.Json;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>A <c>postgres_changes</c> subscription entry of a join config (the user's filter, verbatim).</summary>
internal sealed record PostgresChangesBinding(string Event, string Schema, string? Table, string? Filter)
{
    /// <summary>The id the server assigned in the join reply; messages name the bindings they matched by it.</summary>
    public long? Id { get; set; }

    public bool Accepts(string type) => Event == "*" || string.Equals(Event, type, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The <c>data</c> of a <c>postgres_changes</c> message; rows are slices of the frame's UTF-8 JSON.</summary>
internal readonly struct PostgresChange
{
    public required string Type { get; init; }

    public required string Schema { get; init; }

    public required string Table { get; init; }

    public DateTimeOffset CommitTimestamp { get; init; }

    /// <summary>The new row's JSON (INSERT, UPDATE), else empty or <c>null</c>.</summary>
    public ReadOnlyMemory<byte> Record { get; init; }

    /// <summary>The old row's JSON (UPDATE with replica identity full, DELETE), else empty or <c>null</c>.</summary>
    public ReadOnlyMemory<byte> OldRecord { get; init; }

    public bool HasRecord => RowJson.IsObject(Record);

    public bool HasOldRecord => RowJson.IsObject(OldRecord);

    /// <summary>
    /// Reads a <c>postgres_changes</c> payload (<c>{ids, data}</c>) in one streaming pass: the binding ids into
    /// <paramref name="ids"/>, the change's strings, and the rows as slices (no <see cref="JsonDocument"/>, no copies).
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> payload, List<long> ids, out PostgresChange change)
    {
        change = default;
        var reader = new Utf8JsonReader(payload.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ids"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id))
                        {
                            ids.Add(id);
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                change = ParseData(ref reader, payload);
                found = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // The payload must be exactly one object: the vsn 2.0.0 decoder cuts it from the frame without reading it.
        if (reader.TokenType != JsonTokenType.EndObject || !payload.Span[(int)reader.BytesConsumed..].TrimStart(RowJson.WhiteSpace).IsEmpty)
        {
            change = default;
            return false;
        }

        return found;
    }

    private static PostgresChange ParseData(ref Utf8JsonReader reader, ReadOnlyMemory<byte> payload)
    {
        string type = "", schema = "", table = "";
        DateTimeOffset commit = default;
        ReadOnlyMemory<byte> record = default, old = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = Text(ref reader);
            }
            else if (reader.ValueTextEquals("schema"u8))
            {
                reader.Read();
                schema = Text(ref reader);
            }
            else if (reader.ValueTextEquals("table"u8))
            {
                reader.Read();
                table = Text(ref reader);
            }
            else if (reader.ValueTextEquals("commit_timestamp"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var t))
                {
                    commit = t;
                }
            }
            else if (reader.ValueTextEquals("record"u8))
            {
                reader.Read();
                record = Slice(ref reader, payload);
            }
            else if (reader.ValueTextEquals("old_record"u8))
            {
                reader.Read();
                old = Slice(ref reader, payload);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new PostgresChange { Type = type, Schema = schema, Table = table, CommitTimestamp = commit, Record = record, OldRecord = old };
    }

    private static string Text(ref Utf8JsonReader reader) =>
        reader.TokenType != JsonTokenType.String ? ""
        : reader.ValueTextEquals("UPDATE"u8) ? "UPDATE"
        : reader.ValueTextEquals("INSERT"u8) ? "INSERT"
        : reader.ValueTextEquals("DELETE"u8) ? "DELETE"
        : reader.ValueTextEquals("public"u8) ? "public"
        : reader.GetString() ?? "";

    private static ReadOnlyMemory<byte> Slice(ref Utf8JsonReader reader, ReadOnlyMemory<byte> payload)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return payload[start..(int)reader.BytesConsumed];
    }
}
