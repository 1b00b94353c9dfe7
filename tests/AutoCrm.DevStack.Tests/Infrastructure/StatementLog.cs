using System.Text;

namespace AutoCrm.DevStack.Tests.Infrastructure;

/// <summary>
/// Follows a PostgreSQL server log and returns the statements logged since the last read (<c>log_statement = all</c>
/// writes each one before it runs, so a statement of an answered request is already in the file).
/// </summary>
internal sealed class StatementLog : IDisposable
{
    /// <summary>A statement as it runs (extended and simple protocol), and the statement beside its error.</summary>
    private static readonly string[] Markers = ["LOG:  execute ", "LOG:  statement: ", "STATEMENT:  "];

    private readonly FileStream stream;
    private readonly StringBuilder pending = new();

    /// <summary>Starts at the current end of <paramref name="path"/>: only later statements are returned.</summary>
    public StatementLog(string path)
    {
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(0, SeekOrigin.End);
    }

    /// <summary>The text of every statement logged since the previous call, in log order.</summary>
    public IReadOnlyList<string> ReadNew()
    {
        var buffer = new byte[64 * 1024];
        int read;
        var bytes = new MemoryStream();
        while ((read = stream.Read(buffer)) > 0)
        {
            bytes.Write(buffer, 0, read);
        }

        pending.Append(Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length));
        var text = pending.ToString();
        var end = text.LastIndexOf('\n');
        if (end < 0)
        {
            return [];
        }

        pending.Clear().Append(text, end + 1, text.Length - end - 1);

        // An entry starts with the line prefix ("2026-01-02 03:04:05.678 UTC [123] "); a line without one continues
        // the entry above it (a statement or parameter with a newline in it).
        var entries = new List<StringBuilder>();
        foreach (var line in text[..end].Split('\n'))
        {
            if (EntryStart.IsMatch(line) || entries.Count == 0)
            {
                entries.Add(new StringBuilder(line));
            }
            else
            {
                entries[^1].Append('\n').Append(line);
            }
        }

        var statements = new List<string>();
        foreach (var entry in entries)
        {
            var line = entry.ToString();
            var prefix = EntryStart.Match(line);
            foreach (var marker in Markers)
            {
                if (!prefix.Success || string.CompareOrdinal(line, prefix.Length, marker, 0, marker.Length) != 0)
                {
                    continue;
                }

                var statement = line[(prefix.Length + marker.Length)..];
                if (marker.Contains("execute", StringComparison.Ordinal))
                {
                    // "execute <unnamed>: SQL" or "execute _auto3: SQL" (a prepared statement).
                    statement = statement[(statement.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                }

                statements.Add(statement);
                break;
            }
        }

        return statements;
    }

    private static readonly System.Text.RegularExpressions.Regex EntryStart =
        new(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \S+ \[\d+\] ", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public void Dispose() => stream.Dispose();
}
