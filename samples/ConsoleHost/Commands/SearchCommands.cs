using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Views;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class SearchSettings : ReadSettings
{
    [CommandArgument(0, "<QUERY>")]
    [Description("A search in the query language, e.g. \"status:open tag:billing refund\" (docs/search.md).")]
    public string Query { get; init; } = "";

    [CommandOption("--limit <N>")]
    [Description("At most this many hits (1-1000, default 25).")]
    public int Limit { get; init; } = 25;
}

/// <summary><c>autocrm search "&lt;query&gt;"</c>: ranked hits with snippets; a query the language cannot read is a usage
/// error that points at the token.</summary>
internal sealed class SearchCommand(CliEnvironment environment) : CrmCommand<SearchSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, SearchSettings s, CancellationToken cancellationToken)
    {
        var search = SearchQueries.Parse(s.Query);
        if (s.Limit is < 1 or > 1000)
        {
            throw new UsageException("--limit must be between 1 and 1000.");
        }

        var hits = new List<TicketSearchHit>();
        await foreach (var hit in target.Client.Tickets.SearchAsync(search with { Filter = search.Filter with { PageSize = s.Limit } }, cancellationToken).ConfigureAwait(false))
        {
            hits.Add(hit);
            if (hits.Count == s.Limit)
            {
                break;
            }
        }

        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, hits.Select(h => new
            {
                h.Ticket.Id,
                h.Ticket.Number,
                h.Ticket.Subject,
                h.Ticket.Status,
                h.Ticket.Priority,
                h.Rank,
                Snippet = string.Concat(h.SnippetParts().Select(p => p.Text)),
            }).ToList());
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("subject").AddColumn("status").AddColumn(new TableColumn("rank").RightAligned()).AddColumn("snippet");
        foreach (var h in hits)
        {
            var snippet = string.Concat(h.SnippetParts().Select(p => p.Matched ? $"[bold yellow]{Markup.Escape(p.Text)}[/]" : Markup.Escape(p.Text)));
            table.AddRow(
                h.Ticket.Number.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(h.Ticket.Subject),
                h.Ticket.Status.ToString().ToLowerInvariant(),
                h.Rank.ToString("0.00", CultureInfo.InvariantCulture),
                snippet);
        }

        Console.Write(table);
        Environment.Out.WriteLine(hits.Count == 0 ? "No ticket matches." : $"{hits.Count} ticket(s).");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm views list</c>.</summary>
internal sealed class ViewsListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var views = await target.Client.Views.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, views);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("name").AddColumn("query").AddColumn("sort").AddColumn("shared").AddColumn("id");
        foreach (var v in views)
        {
            table.AddRow(Markup.Escape(v.Name), Markup.Escape(v.Query), v.Sort, v.Shared ? "team" : "", $"[grey]{v.Id}[/]");
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class ViewSaveSettings : ReadSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The view's name.")]
    public string Name { get; init; } = "";

    [CommandArgument(1, "<QUERY>")]
    [Description("The search it keeps, in the query language.")]
    public string Query { get; init; } = "";

    [CommandOption("--sort <SORT>")]
    [Description("rank.desc, or created_at/updated_at/priority/number with .asc/.desc (default updated_at.desc).")]
    public string? Sort { get; init; }

    [CommandOption("--shared")]
    [Description("A team view for every agent and admin (admins only).")]
    public bool Shared { get; init; }
}

/// <summary><c>autocrm views save &lt;name&gt; "&lt;query&gt;"</c>.</summary>
internal sealed class ViewsSaveCommand(CliEnvironment environment) : CrmCommand<ViewSaveSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ViewSaveSettings s, CancellationToken cancellationToken)
    {
        SearchQueries.Parse(s.Query);
        var view = await target.Client.Views.CreateAsync(new NewSavedView { Name = s.Name, Query = s.Query, Sort = s.Sort, Shared = s.Shared }, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, view);
        }
        else
        {
            Environment.Out.WriteLine($"Saved view \"{view.Name}\" ({view.Id}).");
        }

        return ExitCodes.Success;
    }
}

internal sealed class ViewRefSettings : ConnectionSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("The view's id (see views list).")]
    public Guid Id { get; init; }
}

/// <summary><c>autocrm views rm &lt;id&gt;</c>.</summary>
internal sealed class ViewsRemoveCommand(CliEnvironment environment) : CrmCommand<ViewRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ViewRefSettings s, CancellationToken cancellationToken)
    {
        var view = await target.Client.Views.GetAsync(s.Id, cancellationToken).ConfigureAwait(false);
        await target.Client.Views.DeleteAsync(s.Id, cancellationToken).ConfigureAwait(false);
        Environment.Out.WriteLine($"Deleted view \"{view.Name}\".");
        return ExitCodes.Success;
    }
}

/// <summary>Parses the query language for the commands: a problem is a usage error naming the token and its place.</summary>
internal static class SearchQueries
{
    internal static TicketSearchQuery Parse(string query) =>
        TicketSearchQuery.TryParse(query, out var search, out var problem)
            ? search
            : throw new UsageException($"{problem.Message}\n  {query}\n  {new string(' ', problem.Position)}{new string('^', Math.Max(1, problem.Length))}");
}
