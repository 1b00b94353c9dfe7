using System.ComponentModel;
using System.Diagnostics;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class SeedSettings : CommandSettings
{
    [CommandOption("--tickets <N>")]
    [Description("How many tickets (default 10000). 1000000 loads in minutes.")]
    [DefaultValue(10_000)]
    public int Tickets { get; init; } = 10_000;

    [CommandOption("--seed <SEED>")]
    [Description("The random seed: the same seed and sizes always give the same data (default 1).")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    [CommandOption("--customers <N>")]
    [Description("How many customers (default: one per 20 tickets).")]
    public int? Customers { get; init; }

    [CommandOption("--agents <N>")]
    [Description("How many agents (default: one per 10000 tickets, 6 to 200).")]
    public int? Agents { get; init; }

    [CommandOption("--queues <N>")]
    [Description("How many queues (default 20).")]
    [DefaultValue(20)]
    public int Queues { get; init; } = 20;

    [CommandOption("--years <N>")]
    [Description("How many years of history (default 3).")]
    [DefaultValue(3.0)]
    public double Years { get; init; } = 3;

    [CommandOption("--db-url <URL>")]
    [Description("PostgreSQL URL to load into (else AUTOCRM_DB_URL, else the running `autocrm devstack`, else the embedded DevStack's database).")]
    public string? DatabaseUrl { get; init; }

    [CommandOption("--json")]
    [Description("Print the summary as JSON.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces.")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        Tickets < 0 ? ValidationResult.Error("--tickets must not be negative")
        : Queues is < 1 or > 200 ? ValidationResult.Error("--queues must be between 1 and 200")
        : Years is < 0.01 or > 30 ? ValidationResult.Error("--years must be between 0.01 and 30")
        : Customers is < 1 ? ValidationResult.Error("--customers must be at least 1")
        : Agents is < 1 ? ValidationResult.Error("--agents must be at least 1")
        : ValidationResult.Success();
}

/// <summary>
/// <c>autocrm seed</c>: loads a generated, reproducible data set (customers, agents, queues, years of tickets with
/// conversations and history) straight into the database with binary COPY, for demos and benchmarks at scale. It needs a
/// database connection, not the API: the generator writes as the database owner with triggers off.
/// </summary>
internal sealed class SeedCommand(CliEnvironment environment) : AsyncCommand<SeedSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SeedSettings settings, CancellationToken cancellationToken)
    {
        var options = new CrmDataOptions
        {
            Tickets = settings.Tickets,
            Seed = settings.Seed,
            Customers = settings.Customers,
            Agents = settings.Agents,
            Queues = settings.Queues,
            Years = settings.Years,
        };
        var generator = new CrmDataGenerator(options);
        DevStackServer? embedded = null;
        try
        {
            var databaseUrl = settings.DatabaseUrl ?? environment.Variable("AUTOCRM_DB_URL") ?? DevStackInfo.LoadRunning(environment.ConfigDirectory)?.DatabaseUrl;
            if (databaseUrl is null)
            {
                embedded = await Connector.StartEmbeddedAsync(environment, Path.Combine(environment.ConfigDirectory, "devstack"), port: 0, reset: false, cancellationToken).ConfigureAwait(false);
                databaseUrl = embedded.DatabaseUrl;
            }

            var stopwatch = Stopwatch.StartNew();
            CrmDataSummary summary;
            try
            {
                summary = environment.IsTerminal && !settings.Json
                    ? await LoadWithProgressAsync(generator, databaseUrl, cancellationToken).ConfigureAwait(false)
                    : await generator.LoadAsync(databaseUrl, null, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                throw new UsageException(ex.Message, ex);
            }

            Report(settings, generator, summary, stopwatch.Elapsed);
            return ExitCodes.Success;
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<CrmDataSummary> LoadWithProgressAsync(CrmDataGenerator generator, string databaseUrl, CancellationToken cancellationToken) =>
        await environment.Console.Progress().StartAsync(async progress =>
        {
            var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
            var report = new Progress<CrmDataProgress>(p =>
            {
                lock (tasks)
                {
                    if (!tasks.TryGetValue(p.Phase, out var task))
                    {
                        task = tasks[p.Phase] = progress.AddTask(p.Phase, maxValue: Math.Max(1, p.Total));
                    }

                    task.Value = p.Done;
                }
            });
            return await generator.LoadAsync(databaseUrl, report, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);

    private void Report(SeedSettings settings, CrmDataGenerator generator, CrmDataSummary summary, TimeSpan elapsed)
    {
        var data = generator.Data;
        var result = new SeedResult
        {
            Tickets = summary.Rows.GetValueOrDefault("public.tickets"),
            Messages = summary.Rows.GetValueOrDefault("public.ticket_messages"),
            Events = summary.Rows.GetValueOrDefault("public.ticket_events"),
            Users = summary.Rows.GetValueOrDefault("auth.users"),
            Queues = summary.Rows.GetValueOrDefault("public.queues"),
            Seed = settings.Seed,
            LoadSeconds = Math.Round(summary.LoadTime.TotalSeconds, 1),
            VacuumSeconds = Math.Round(summary.AnalyzeTime.TotalSeconds, 1),
            TotalSeconds = Math.Round(elapsed.TotalSeconds, 1),
            Password = generator.Options.Password,
            Admin = data.Admins.FirstOrDefault()?.Email,
            Agent = data.Queues[0].AgentIds.Select(id => data.Agents.First(a => a.Id == id).Email).FirstOrDefault(),
            Customer = data.Customers[0].Email,
        };
        if (settings.Json)
        {
            JsonOutput.WriteDocument(environment.Out, result);
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[grey]tickets[/]", $"{result.Tickets:N0} ({result.Messages:N0} messages, {result.Events:N0} events)");
        grid.AddRow("[grey]users, queues[/]", $"{result.Users:N0}, {result.Queues:N0}");
        grid.AddRow("[grey]time[/]", $"{result.LoadSeconds:N1} s load + {result.VacuumSeconds:N1} s vacuum/analyze");
        grid.AddRow("[grey]sign in as[/]", Markup.Escape($"{result.Admin} (admin), {result.Agent} (agent), {result.Customer} (customer); password {result.Password}"));
        environment.Console.Write(grid);
    }
}

/// <summary>What <c>autocrm seed --json</c> prints.</summary>
internal sealed record SeedResult
{
    public long Tickets { get; init; }

    public long Messages { get; init; }

    public long Events { get; init; }

    public long Users { get; init; }

    public long Queues { get; init; }

    public long Seed { get; init; }

    public double LoadSeconds { get; init; }

    public double VacuumSeconds { get; init; }

    public double TotalSeconds { get; init; }

    public required string Password { get; init; }

    public string? Admin { get; init; }

    public string? Agent { get; init; }

    public string? Customer { get; init; }
}
