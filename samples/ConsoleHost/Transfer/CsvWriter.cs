namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>RFC 4180 CSV output: records end with CRLF; a cell holding a comma, a quote, a line break or leading or
/// trailing spaces is quoted, with its quotes doubled. <see cref="CsvReader"/> reads it back cell for cell (a CRLF inside a
/// cell comes back as LF).</summary>
internal static class CsvWriter
{
    /// <summary>Writes one record. With <paramref name="escapeFormulas"/>, a cell that a spreadsheet program would run as a
    /// formula (it starts with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c>, or a tab or carriage return that hides one) is
    /// written with a leading apostrophe, so it opens as text: reports carry values such as a ticket's channel that anyone
    /// filing a ticket chooses. The ticket export does not, because <c>autocrm import</c> reads its cells back as they are.</summary>
    internal static void WriteRecord(TextWriter writer, IEnumerable<string?> cells, bool escapeFormulas = false)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
            {
                writer.Write(',');
            }

            first = false;
            var text = cell ?? string.Empty;
            writer.Write(Quote(escapeFormulas && IsFormula(text) ? "'" + text : text));
        }

        writer.Write("\r\n");
    }

    internal static bool IsFormula(string cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    internal static string Quote(string cell) =>
        cell.Length > 0 && (cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || char.IsWhiteSpace(cell[0]) || char.IsWhiteSpace(cell[^1]))
            ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : cell;
}
