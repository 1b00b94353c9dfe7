using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace AutoCrm.DevStack.Realtime;

/// <summary>What a role may see of a table: whether the role exists, row-level security on the table, whether the role
/// bypasses it (superuser or BYPASSRLS), and its selectable columns.</summary>
internal sealed record TableAccess(bool RoleExists, bool RowSecurity, bool BypassesRowSecurity, HashSet<string> Columns, long LoadedAt)
{
    /// <summary>A DELETE of this table reaches this role with only the primary key, so filters may only look at that.</summary>
    public bool SeesOnlyPrimaryKeyOfDeletes => RowSecurity && !BypassesRowSecurity;
}

/// <summary>
/// The <c>data</c> object of a postgres_changes message for one role, as Realtime's apply_rls builds it: the columns the role
/// may select, <c>record</c>/<c>old_record</c> (for a DELETE on a row-level-secured table only the primary key), the 400/401
/// errors when the table has no primary key or the role cannot select it, and the 413 trimming of records over
/// <c>max_record_bytes</c>.
/// </summary>
internal static class ChangePayload
{
    /// <summary>Writes <c>"name": value</c>; in a too-large record only values of at most 64 JSON bytes are kept.</summary>
    private static void WriteValue(Utf8JsonWriter writer, RelationColumn column, string? text, bool tooLarge)
    {
        if (!tooLarge)
        {
            writer.WritePropertyName(column.Name);
            PgTextToJson.Write(writer, text, column.Type);
            return;
        }

        var value = new ArrayBufferWriter<byte>(128);
        using (var valueWriter = new Utf8JsonWriter(value, RealtimeJson.WriterOptions))
        {
            PgTextToJson.Write(valueWriter, text, column.Type);
        }

        if (value.WrittenCount <= TooLargeValueBytes)
        {
            writer.WritePropertyName(column.Name);
            writer.WriteRawValue(value.WrittenSpan, skipInputValidation: true);
        }
    }

    internal static string? Errors(RelationInfo relation, TableAccess access)
    {
        if (relation.PrimaryKey.Length == 0)
        {
            return "Error 400: Bad Request, no primary key";
        }

        return relation.PrimaryKey.All(i => access.Columns.Contains(relation.Columns[i].Name)) ? null : "Error 401: Unauthorized";
    }

    /// <summary>Values of at most this many JSON bytes survive in a record over the size limit (Realtime's apply_rls).</summary>
    internal const int TooLargeValueBytes = 64;

    /// <summary>
    /// The size Realtime compares with <c>max_record_bytes</c>: its wal2json record as text, i.e. every column's name,
    /// type and value for the new row and the old identity. Estimated from the same parts.
    /// </summary>
    internal static long RecordBytes(RowChange change)
    {
        long bytes = 128 + change.Relation.Schema.Length + change.Relation.Table.Length;
        foreach (var row in new[] { change.New, change.Old })
        {
            if (row is null)
            {
                continue;
            }

            for (var i = 0; i < row.Length && i < change.Relation.Columns.Length; i++)
            {
                var column = change.Relation.Columns[i];
                bytes += 40 + column.Name.Length + column.Type.Name.Length + (row[i].Text is { } text ? System.Text.Encoding.UTF8.GetByteCount(text) : 4);
            }
        }

        return bytes;
    }

    /// <summary>The <c>data</c> object for one role.</summary>
    internal static byte[] BuildData(RowChange change, TableAccess access, int maxRecordBytes = int.MaxValue)
    {
        var relation = change.Relation;
        var tooLarge = RecordBytes(change) > maxRecordBytes;
        var errors = Errors(relation, access) ?? (tooLarge ? "Error 413: Payload Too Large" : null);
        var withValues = Errors(relation, access) is null;
        var visible = Enumerable.Range(0, relation.Columns.Length).Where(i => access.Columns.Contains(relation.Columns[i].Name)).ToArray();
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, RealtimeJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", relation.Schema);
            writer.WriteString("table", relation.Table);
            writer.WriteString("commit_timestamp", change.CommitTimestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("type", change.Type);
            writer.WriteStartArray("columns");
            foreach (var i in visible)
            {
                writer.WriteStartObject();
                writer.WriteString("name", relation.Columns[i].Name);
                writer.WriteString("type", relation.Columns[i].Type.Name);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();

            if (change.Type is "INSERT" or "UPDATE")
            {
                writer.WriteStartObject("record");
                if (withValues)
                {
                    foreach (var i in visible)
                    {
                        var value = change.NewValue(i);
                        if (value.Present)
                        {
                            WriteValue(writer, relation.Columns[i], value.Text, tooLarge);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            if (change.Type is "UPDATE" or "DELETE")
            {
                writer.WriteStartObject("old_record");
                if (withValues)
                {
                    // DELETE on an RLS table: primary key only (the row can no longer be checked).
                    var columns = change.Type == "DELETE" && access.RowSecurity ? relation.PrimaryKey : visible;
                    var source = change.Old;
                    if (source is null)
                    {
                        // Default replica identity: the identity is the unchanged primary key of the new row.
                        columns = relation.PrimaryKey;
                    }

                    foreach (var i in columns)
                    {
                        var value = source is null ? change.NewValue(i) : source[i];
                        if (value.Present && access.Columns.Contains(relation.Columns[i].Name))
                        {
                            WriteValue(writer, relation.Columns[i], value.Text, tooLarge);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            writer.WritePropertyName("errors");
            if (errors is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStartArray();
                writer.WriteStringValue(errors);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
