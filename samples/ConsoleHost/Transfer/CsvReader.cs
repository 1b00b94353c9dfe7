using System.Text;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. Yields each record with the
/// line it starts on.</summary>
internal static class CsvReader
{
    internal static async IAsyncEnumerable<(int Line, List<string> Fields)> ReadAsync(TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var line = 0;
        string? text;
        while ((text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)) is not null)
        {
            line++;
            var start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var i = 0;
            while (true)
            {
                if (i >= text.Length)
                {
                    if (quoted)
                    {
                        var next = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                        if (next is null)
                        {
                            throw new FormatException($"line {start}: unterminated quoted field");
                        }

                        line++;
                        field.Append('\n');
                        text = next;
                        i = 0;
                        continue;
                    }

                    fields.Add(field.ToString());
                    break;
                }

                var c = text[i];
                if (quoted)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        quoted = false;
                    }
                    else
                    {
                        field.Append(c);
                    }
                }
                else if (c == '"' && field.Length == 0)
                {
                    quoted = true;
                }
                else if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                }
                else
                {
                    field.Append(c);
                }

                i++;
            }

            if (fields is [""])
            {
                continue;
            }

            yield return (start, fields);
        }
    }
}
