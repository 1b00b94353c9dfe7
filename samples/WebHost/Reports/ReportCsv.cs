using System.Text;

namespace AutoCrm.WebHost.Reports;

/// <summary>RFC 4180 CSV for the dashboard's export. A cell that a spreadsheet program would run as a formula (it starts
/// with <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c>, or a tab or carriage return before one) gets a leading apostrophe and
/// opens as text: display names and channels are chosen by users.</summary>
public static class ReportCsv
{
    public static void AppendRecord(StringBuilder csv, IEnumerable<string?> cells)
    {
        csv.AppendJoin(',', cells.Select(cell => Quote(Neutralize(cell ?? ""))));
        csv.Append("\r\n");
    }

    public static string Neutralize(string cell) => cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + cell : cell;

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (cell.Length > 0 && (char.IsWhiteSpace(cell[0]) || char.IsWhiteSpace(cell[^1])))
            ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : cell;
}
