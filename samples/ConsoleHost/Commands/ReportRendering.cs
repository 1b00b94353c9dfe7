using System.Globalization;
using System.Text.Json;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Transfer;
using AutoCrm.Sdk.Reports;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary>Tables, bar charts and CSV for <c>autocrm report</c>.</summary>
internal static class ReportRendering
{
    // Every column of the summary, with nulls, in the database's names: the table and the CSV list them all.
    private static readonly JsonSerializerOptions WithNulls = new(JsonOutput.Document)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    internal static IRenderable SummaryChart(ReportSummary s) => new BarChart()
        .Width(72)
        .Label("[bold]Tickets[/]")
        .AddItem("created", s.TicketsCreated, Color.Blue)
        .AddItem("solved", s.TicketsSolved, Color.Green)
        .AddItem("reopened", s.Reopens, Color.Yellow)
        .AddItem("backlog at end", s.BacklogAtEnd ?? 0, Color.Red);

    internal static Table SummaryTable(ReportSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in SummaryCells(s))
        {
            table.AddRow(Markup.Escape(name), value is null ? "[grey]-[/]" : Markup.Escape(value));
        }

        return table;
    }

    internal static void WriteSummaryCsv(TextWriter writer, ReportSummary s)
    {
        CsvWriter.WriteRecord(writer, ["metric", "value"], escapeFormulas: true);
        foreach (var (name, value) in SummaryCells(s))
        {
            CsvWriter.WriteRecord(writer, [name, value], escapeFormulas: true);
        }

        writer.Flush();
    }

    internal static IRenderable TimeSeriesChart(IReadOnlyList<ReportRow> rows, IReadOnlyDictionary<string, string> groupLabels)
    {
        var chart = new BarChart().Width(72);
        var grouped = rows.Any(r => r.GroupKey is not null);
        var colours = new[] { Color.Blue, Color.Green, Color.Yellow, Color.Aqua, Color.Fuchsia, Color.Orange1 };
        var groups = rows.Select(r => r.GroupKey ?? "").Distinct().ToList();
        foreach (var row in rows)
        {
            var label = grouped ? $"{row.LocalDate} {GroupLabel(row.GroupKey, groupLabels)}" : row.LocalDate;
            chart.AddItem(Markup.Escape(label), (double)(row.Value ?? 0), colours[groups.IndexOf(row.GroupKey ?? "") % colours.Length]);
        }

        return chart;
    }

    internal static Table TimeSeriesTable(IReadOnlyList<ReportRow> rows, IReadOnlyDictionary<string, string> groupLabels)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("bucket").AddColumn("group")
            .AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("samples").RightAligned());
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.LocalDate),
                Markup.Escape(GroupLabel(row.GroupKey, groupLabels)),
                row.Value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "[grey]-[/]",
                row.Samples.ToString(CultureInfo.InvariantCulture));
        }

        return table;
    }

    internal static void WriteTimeSeriesCsv(TextWriter writer, IEnumerable<ReportRow> rows)
    {
        CsvWriter.WriteRecord(writer, ["bucket_start", "local_date", "group_key", "value", "samples"], escapeFormulas: true);
        foreach (var row in rows)
        {
            CsvWriter.WriteRecord(writer,
            [
                row.BucketStart.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
                row.LocalDate,
                row.GroupKey,
                row.Value?.ToString(CultureInfo.InvariantCulture),
                row.Samples.ToString(CultureInfo.InvariantCulture),
            ], escapeFormulas: true);
        }

        writer.Flush();
    }

    private static string GroupLabel(string? key, IReadOnlyDictionary<string, string> labels) =>
        key is null ? "" : labels.TryGetValue(key, out var label) ? label : key;

    private static IEnumerable<(string Name, string? Value)> SummaryCells(ReportSummary s)
    {
        using var document = JsonSerializer.SerializeToDocument(s, WithNulls);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            yield return (property.Name, property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetRawText());
        }
    }
}
