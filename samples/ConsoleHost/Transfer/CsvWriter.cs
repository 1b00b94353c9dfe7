namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>RFC 4180 CSV output: records end with CRLF; a cell holding a comma, a quote, a line break or leading or
/// trailing spaces is quoted, with its quotes doubled. <see cref="CsvReader"/> reads it back cell for cell (a CRLF inside a
/// cell comes back as LF).</summary>
internal static class CsvWriter
{
    internal static void WriteRecord(TextWriter writer, IEnumerable<string?> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                writer.Write(',');
            }

            first = false;
            writer.Write(Quote(cell ?? string.Empty));
        }

        writer.Write("\r\n");
    }

    internal static string Quote(string cell) =>
        cell.Length > 0 && (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || char.IsWhiteSpace(cell[0]) || char.IsWhiteSpace(cell[^1]))
            ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : cell;
}
