using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>A row of a CSV file the import could not take, with the line it starts on and the column it names.</summary>
internal sealed record CsvImportProblem(int Line, string? Field, string Message);

/// <summary>A CSV file as read: the header's line, the rows (line, cells by lower-case column name) and the problems that
/// keep rows out (a wrong number of cells, an unterminated quote, a bad header).</summary>
internal sealed record CsvFile(int HeaderLine, List<(int Line, JsonObject Cells)> Rows, List<CsvImportProblem> Problems);

/// <summary>What a CSV import did.</summary>
internal sealed record CsvImportResult(int Rows, int Created, int AlreadyPresent, bool Committed, bool DryRun, int BadRows, IReadOnlyList<CsvImportProblem> Problems);

/// <summary>
/// CSV import through <c>public.import_tickets</c>: the header names the columns (ticket columns and custom field keys),
/// the database maps, converts and checks every cell by its own rules, as the caller. Batches of rows go in one call each
/// (not one request per row), and a call is all or nothing. A file of several batches is checked first with dry runs of
/// every batch and written only when no row is bad, so a bad row anywhere imports nothing.
/// </summary>
internal sealed class CsvTicketImport(CrmClient crm, int batchSize)
{
    private const int ListedProblemsPerCall = 100;

    /// <summary>Reads a file; a header that cannot be used leaves no rows.</summary>
    internal static async Task<CsvFile> ReadAsync(TextReader reader, CancellationToken cancellationToken)
    {
        var headerLine = 1;
        var rows = new List<(int, JsonObject)>();
        var problems = new List<CsvImportProblem>();
        List<string>? header = null;
        try
        {
            await foreach (var (line, cells) in CsvReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
            {
                if (header is null)
                {
                    headerLine = line;
                    header = [.. cells.Select(c => c.Trim().TrimStart('\uFEFF').ToLowerInvariant())];
                    foreach (var name in header.Where(h => h.Length == 0).Take(1))
                    {
                        problems.Add(new CsvImportProblem(line, null, "the header has an empty column name"));
                    }

                    foreach (var name in header.GroupBy(h => h).Where(g => g.Key.Length > 0 && g.Count() > 1).Select(g => g.Key))
                    {
                        problems.Add(new CsvImportProblem(line, name, $"column \"{name}\" appears more than once in the header"));
                    }

                    if (!header.Contains("subject"))
                    {
                        problems.Add(new CsvImportProblem(line, "subject", "the header has no subject column"));
                    }

                    if (problems.Count > 0)
                    {
                        return new CsvFile(headerLine, rows, problems);
                    }

                    continue;
                }

                if (cells.Count != header.Count)
                {
                    problems.Add(new CsvImportProblem(line, null, $"expected {header.Count} cells as in the header, found {cells.Count}"));
                    continue;
                }

                var row = new JsonObject();
                for (var i = 0; i < header.Count; i++)
                {
                    row[header[i]] = cells[i];
                }

                rows.Add((line, WithId(row)));
            }
        }
        catch (FormatException ex)
        {
            // An unterminated quote swallows the rest of the file: nothing after it can be read reliably.
            problems.Add(new CsvImportProblem(LineOf(ex.Message), null, ex.Message));
        }

        if (header is null)
        {
            problems.Add(new CsvImportProblem(1, null, "the file is empty: expected a header row and rows of tickets"));
        }

        return new CsvFile(headerLine, rows, problems);
    }

    /// <summary>Whether the rows are checked with dry runs before any is written (several batches, or problems already).</summary>
    internal bool ChecksFirst(CsvFile file, bool dryRun) => dryRun || file.Problems.Count > 0 || file.Rows.Count > batchSize;

    /// <summary>
    /// Sends the rows: one call when they fit in one batch; otherwise a dry run of every batch, then the real calls.
    /// Problems found while reading write nothing, but the rows are still checked so that one run reports every bad row.
    /// A column that is neither a ticket column nor a field is reported on the header's line. <paramref name="advance"/>
    /// is told of each row checked or written.
    /// </summary>
    internal async Task<CsvImportResult> ImportAsync(CsvFile file, bool dryRun, Action<int>? advance, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(file, dryRun, advance, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmValidationException ex) when (ex.Code == "22023" && ex.Field is not null)
        {
            return new CsvImportResult(file.Rows.Count + file.Problems.Count, 0, 0, false, dryRun, file.Rows.Count + file.Problems.Count,
                [new CsvImportProblem(file.HeaderLine, ex.Field, ex.Message), .. file.Problems]);
        }
    }

    private async Task<CsvImportResult> SendAsync(CsvFile file, bool dryRun, Action<int>? advance, CancellationToken cancellationToken)
    {
        var (rows, known) = (file.Rows, file.Problems);
        var problems = new List<CsvImportProblem>(known);
        var batches = rows.Chunk(batchSize).ToList();
        var checkFirst = ChecksFirst(file, dryRun);
        var badRows = known.Count;
        var wouldCreate = 0;
        if (checkFirst)
        {
            foreach (var batch in batches)
            {
                var answer = await CallAsync(batch, dryRun: true, cancellationToken).ConfigureAwait(false);
                badRows += Collect(answer, batch, problems);
                wouldCreate += answer.GetProperty("inserted").GetInt32();
                advance?.Invoke(batch.Length);
            }

            if (dryRun || badRows > 0)
            {
                problems.Sort((a, b) => a.Line.CompareTo(b.Line));
                return new CsvImportResult(rows.Count + known.Count, badRows > 0 ? 0 : wouldCreate, badRows > 0 ? 0 : rows.Count - wouldCreate, false, dryRun, badRows, problems);
            }
        }

        var created = 0;
        var present = 0;
        foreach (var batch in batches)
        {
            var answer = await CallAsync(batch, dryRun: false, cancellationToken).ConfigureAwait(false);
            var bad = Collect(answer, batch, problems);
            if (bad > 0)
            {
                // Only when something changed between the check and the write (a field definition, a queue membership):
                // the earlier batches are in; rows carry ids, so running the same file again skips them.
                problems.Add(new CsvImportProblem(batch[0].Line, null,
                    $"nothing from line {batch[0].Line} on was imported; the {created} tickets before it were. Fix the rows and run the same file again: tickets already imported are skipped by id"));
                problems.Sort((a, b) => a.Line.CompareTo(b.Line));
                return new CsvImportResult(rows.Count, created, present, created > 0, false, bad, problems);
            }

            created += answer.GetProperty("inserted").GetInt32();
            present += answer.GetProperty("already_present").GetInt32();
            advance?.Invoke(batch.Length);
        }

        return new CsvImportResult(rows.Count, created, present, true, false, 0, problems);
    }

    private async Task<JsonElement> CallAsync((int Line, JsonObject Cells)[] batch, bool dryRun, CancellationToken cancellationToken)
    {
        var arguments = new JsonObject
        {
            ["rows"] = new JsonArray([.. batch.Select(r => r.Cells.DeepClone())]),
            ["dry_run"] = dryRun,
        };

        // Every row carries its id, so a retried call cannot create a ticket twice.
        return await crm.Rest.Rpc("import_tickets", arguments).AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the call's problems with the file's line numbers; returns how many rows were bad.</summary>
    private static int Collect(JsonElement answer, (int Line, JsonObject Cells)[] batch, List<CsvImportProblem> problems)
    {
        var count = answer.GetProperty("problem_count").GetInt32();
        foreach (var p in answer.GetProperty("problems").EnumerateArray())
        {
            var line = p.GetProperty("row") is { ValueKind: JsonValueKind.Number } row ? batch[row.GetInt32() - 1].Line : batch[0].Line;
            var field = p.GetProperty("field") is { ValueKind: JsonValueKind.String } f ? f.GetString() : null;
            problems.Add(new CsvImportProblem(line, field, p.GetProperty("message").GetString() ?? "refused"));
        }

        if (count > ListedProblemsPerCall)
        {
            problems.Add(new CsvImportProblem(batch[^1].Line, null,
                $"{count - ListedProblemsPerCall} more bad rows between lines {batch[0].Line} and {batch[^1].Line} are not listed"));
        }

        return count;
    }

    /// <summary>
    /// Gives the row the id it will have: its <c>id</c> cell, else a name-based id from <c>source_key</c> (the same key always
    /// gives the same ticket), else a new one, so that a retried call cannot create a ticket twice.
    /// </summary>
    private static JsonObject WithId(JsonObject row)
    {
        var sourceKey = row["source_key"]?.GetValue<string>();
        row.Remove("source_key");
        if (string.IsNullOrWhiteSpace(row["id"]?.GetValue<string>()))
        {
            row["id"] = (string.IsNullOrWhiteSpace(sourceKey) ? Guid.CreateVersion7() : DeterministicId.From(sourceKey.Trim())).ToString();
        }

        return row;
    }

    private static int LineOf(string message) =>
        message.StartsWith("line ", StringComparison.Ordinal) && int.TryParse(message.AsSpan(5, message.IndexOf(':', StringComparison.Ordinal) - 5), out var line) ? line : 1;
}
