using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class AgentStatusSettings : ReadSettings
{
    [CommandArgument(0, "[STATUS]")]
    [Description("online, away or offline; shows the current state when omitted.")]
    public string? Status { get; init; }

    [CommandOption("-a|--agent <AGENT>")]
    [Description("Another agent (id or email; admins). Default: you.")]
    public string? Agent { get; init; }
}

/// <summary><c>autocrm agents status [online|away|offline]</c>: shows or sets an agent's availability.</summary>
internal sealed class AgentStatusCommand(CliEnvironment environment) : CrmCommand<AgentStatusSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, AgentStatusSettings s, CancellationToken cancellationToken)
    {
        var agents = target.Client.Agents;
        Guid? agentId = s.Agent is null ? null : await Arguments.UserIdAsync(target.Client, s.Agent, cancellationToken).ConfigureAwait(false);
        AgentState state;
        if (s.Status is null)
        {
            state = agentId is { } id ? await AgentArguments.StateAsync(agents, id, cancellationToken).ConfigureAwait(false)
                : await agents.GetMyStateAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var status = Arguments.ParseEnum<AgentStatus>(s.Status, "STATUS");
            state = agentId is { } id ? await agents.SetStatusAsync(id, status, cancellationToken).ConfigureAwait(false)
                : await agents.SetStatusAsync(status, cancellationToken).ConfigureAwait(false);
        }

        AgentOutput.Write(Environment, s, state, s.Status is null ? null : "Status set");
        return ExitCodes.Success;
    }
}

internal sealed class AgentListSettings : ReadSettings
{
    [CommandOption("-s|--status <STATUS>")]
    [Description("Only agents with this status (online, away, offline).")]
    public string? Status { get; init; }
}

/// <summary><c>autocrm agents list</c>: every agent's status, load, capacity and skills (staff).</summary>
internal sealed class AgentListCommand(CliEnvironment environment) : CrmCommand<AgentListSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, AgentListSettings s, CancellationToken cancellationToken)
    {
        AgentStatus? status = s.Status is null ? null : Arguments.ParseEnum<AgentStatus>(s.Status, "--status");
        var states = await target.Client.Agents.ListAsync(status, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, states);
            return ExitCodes.Success;
        }

        if (states.Count == 0)
        {
            // Row-level security shows the team to agents and admins only; a customer sees no one (and no routing
            // defaults to print), which is an empty answer, not a failure.
            Console.MarkupLine("[grey]No agents visible to you (agents and admins see the team).[/]");
            return ExitCodes.Success;
        }

        var defaults = await target.Client.Agents.GetDefaultsAsync(cancellationToken).ConfigureAwait(false);
        var emails = await AgentArguments.EmailsAsync(target.Client, cancellationToken).ConfigureAwait(false);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("agent").AddColumn("status")
            .AddColumn(new TableColumn("open").RightAligned()).AddColumn(new TableColumn("capacity").RightAligned()).AddColumn("skills").AddColumn("id");
        foreach (var a in states)
        {
            table.AddRow(
                Markup.Escape(emails.GetValueOrDefault(a.AgentId, "?")),
                AgentOutput.StatusMarkup(a.Status),
                a.OpenTickets.ToString(CultureInfo.InvariantCulture),
                AgentOutput.Capacity(a.Capacity, defaults.DefaultCapacity),
                Markup.Escape(string.Join(", ", a.Skills)),
                $"[grey]{a.AgentId}[/]");
        }

        Console.Write(table);
        Console.MarkupLine($"[grey]default capacity: {AgentOutput.Limit(defaults.DefaultCapacity)}; an agent's own capacity wins over the queue's, which wins over the default[/]");
        return ExitCodes.Success;
    }
}

internal sealed class AgentCapacitySettings : ReadSettings
{
    [CommandArgument(0, "[VALUE]")]
    [Description("Open tickets at most (0-1000), or 'inherit' (agent, queue) / 'none' (default) to clear; shows the current value when omitted.")]
    public string? Value { get; init; }

    [CommandOption("-a|--agent <AGENT>")]
    [Description("An agent's own capacity (id, email or 'me').")]
    public string? Agent { get; init; }

    [CommandOption("-q|--queue <QUEUE>")]
    [Description("A queue's capacity (slug or id); its routing mode is kept.")]
    public string? Queue { get; init; }

    [CommandOption("--default")]
    [Description("The default capacity of every agent.")]
    public bool Default { get; init; }

    public override ValidationResult Validate() =>
        (Agent is null ? 0 : 1) + (Queue is null ? 0 : 1) + (Default ? 1 : 0) == 1
            ? ValidationResult.Success()
            : ValidationResult.Error("choose exactly one of --agent, --queue or --default");
}

/// <summary><c>autocrm agents capacity [VALUE] --agent|--queue|--default</c>: shows or sets a capacity (admins set).</summary>
internal sealed class AgentCapacityCommand(CliEnvironment environment) : CrmCommand<AgentCapacitySettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, AgentCapacitySettings s, CancellationToken cancellationToken)
    {
        var agents = target.Client.Agents;
        var value = s.Value is null ? null : ParseCapacity(s.Value);
        if (s.Agent is not null)
        {
            var id = await Arguments.UserIdAsync(target.Client, s.Agent, cancellationToken).ConfigureAwait(false);
            var state = value is { } set ? await agents.SetCapacityAsync(id, set.Value, cancellationToken).ConfigureAwait(false)
                : await AgentArguments.StateAsync(agents, id, cancellationToken).ConfigureAwait(false);
            AgentOutput.Write(Environment, s, state, value is null ? null : "Capacity set");
        }
        else if (s.Queue is not null)
        {
            var queue = await Arguments.QueueAsync(target.Client, s.Queue, cancellationToken).ConfigureAwait(false);
            var routing = await agents.GetQueueRoutingAsync(queue.Id, cancellationToken).ConfigureAwait(false);
            if (value is { } set)
            {
                routing = await agents.SetQueueRoutingAsync(queue.Id, routing.Mode, set.Value, cancellationToken).ConfigureAwait(false);
            }

            QueueRoutingOutput.Write(Environment, s, queue.Slug, routing, value is null ? null : "Queue capacity set");
        }
        else
        {
            var defaults = value is { } set ? await agents.SetDefaultCapacityAsync(set.Value, cancellationToken).ConfigureAwait(false)
                : await agents.GetDefaultsAsync(cancellationToken).ConfigureAwait(false);
            if (s.Json)
            {
                JsonOutput.WriteDocument(Environment.Out, defaults);
            }
            else
            {
                Console.MarkupLine($"{(value is null ? "" : "Default capacity set: ")}default capacity {AgentOutput.Limit(defaults.DefaultCapacity)}");
            }
        }

        return ExitCodes.Success;
    }

    /// <summary>A number, or a word that clears the setting (wrapped so that "clear" differs from "not given").</summary>
    private static Capacity? ParseCapacity(string value) =>
        value.ToLowerInvariant() is "inherit" or "none" or "null" ? new Capacity(null)
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? new Capacity(n)
        : throw new UsageException($"VALUE: '{value}' is not a whole number from 0 to 1000, 'inherit' or 'none'");

    private readonly record struct Capacity(int? Value);
}

internal sealed class AgentSkillsSettings : ReadSettings
{
    [CommandArgument(0, "<AGENT_OR_TICKET>")]
    [Description("An agent (id, email or 'me'), or a ticket (id or #number) with --ticket.")]
    public string Target { get; init; } = "";

    [CommandArgument(1, "[SKILL]")]
    [Description("The whole new list of skills (lowercase words); shows the current skills when omitted.")]
    public string[] Skills { get; init; } = [];

    [CommandOption("-t|--ticket")]
    [Description("Set the skills a ticket needs instead of an agent's.")]
    public bool Ticket { get; init; }

    [CommandOption("--clear")]
    [Description("Remove every skill.")]
    public bool Clear { get; init; }

    public override ValidationResult Validate() =>
        Clear && Skills.Length > 0 ? ValidationResult.Error("--clear takes no skills") : ValidationResult.Success();
}

/// <summary><c>autocrm agents skills AGENT [SKILL...]</c> / <c>--ticket TICKET [SKILL...]</c>: shows or sets skills.</summary>
internal sealed class AgentSkillsCommand(CliEnvironment environment) : CrmCommand<AgentSkillsSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, AgentSkillsSettings s, CancellationToken cancellationToken)
    {
        var agents = target.Client.Agents;
        var change = s.Clear || s.Skills.Length > 0;
        IReadOnlyList<string> skills = [.. s.Skills.SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
        if (s.Ticket)
        {
            var ticketId = await Arguments.TicketIdAsync(target.Client, s.Target, cancellationToken).ConfigureAwait(false);
            var ticketSkills = change ? await agents.SetTicketSkillsAsync(ticketId, skills, cancellationToken).ConfigureAwait(false)
                : await agents.GetTicketSkillsAsync(ticketId, cancellationToken).ConfigureAwait(false);
            if (s.Json)
            {
                JsonOutput.WriteDocument(Environment.Out, ticketSkills);
            }
            else
            {
                Console.MarkupLine($"{(change ? "Skills set: " : "")}ticket {ticketSkills.TicketId} needs {AgentOutput.Skills(ticketSkills.RequiredSkills)}");
            }

            return ExitCodes.Success;
        }

        var agentId = await Arguments.UserIdAsync(target.Client, s.Target, cancellationToken).ConfigureAwait(false);
        var state = change ? await agents.SetSkillsAsync(agentId, skills, cancellationToken).ConfigureAwait(false)
            : await AgentArguments.StateAsync(agents, agentId, cancellationToken).ConfigureAwait(false);
        AgentOutput.Write(Environment, s, state, change ? "Skills set" : null);
        return ExitCodes.Success;
    }
}

internal sealed class QueueRoutingSettings : ReadSettings
{
    [CommandArgument(0, "<QUEUE>")]
    [Description("Queue slug or id.")]
    public string Queue { get; init; } = "";

    [CommandArgument(1, "[MODE]")]
    [Description("manual, round_robin or least_loaded; shows the current settings when omitted.")]
    public string? Mode { get; init; }

    [CommandOption("-c|--capacity <VALUE>")]
    [Description("The queue's capacity (0-1000) or 'inherit'; kept when omitted.")]
    public string? Capacity { get; init; }
}

/// <summary><c>autocrm queue routing QUEUE [MODE] [--capacity N]</c>: shows or sets a queue's routing (admins set).</summary>
internal sealed class QueueRoutingCommand(CliEnvironment environment) : CrmCommand<QueueRoutingSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, QueueRoutingSettings s, CancellationToken cancellationToken)
    {
        var queue = await Arguments.QueueAsync(target.Client, s.Queue, cancellationToken).ConfigureAwait(false);
        var routing = await target.Client.Agents.GetQueueRoutingAsync(queue.Id, cancellationToken).ConfigureAwait(false);
        var change = s.Mode is not null || s.Capacity is not null;
        if (change)
        {
            var mode = s.Mode is null ? routing.Mode : Arguments.ParseEnum<RoutingMode>(s.Mode, "MODE");
            var capacity = s.Capacity is null ? routing.Capacity
                : s.Capacity.ToLowerInvariant() is "inherit" or "none" or "null" ? null
                : int.TryParse(s.Capacity, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : throw new UsageException($"--capacity: '{s.Capacity}' is not a whole number from 0 to 1000 or 'inherit'");
            routing = await target.Client.Agents.SetQueueRoutingAsync(queue.Id, mode, capacity, cancellationToken).ConfigureAwait(false);
        }

        QueueRoutingOutput.Write(Environment, s, queue.Slug, routing, change ? "Routing set" : null);
        return ExitCodes.Success;
    }
}

/// <summary>Looks up what the agent commands show.</summary>
internal static class AgentArguments
{
    /// <summary>An agent's state; one with none yet (never in a queue, never set) reads as offline with no settings.</summary>
    internal static async Task<AgentState> StateAsync(AgentsClient agents, Guid agentId, CancellationToken cancellationToken)
    {
        try
        {
            return await agents.GetAsync(agentId, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw new NotFoundException($"agent {agentId} has no routing state (not an agent, never in a queue, or not visible to you)", ex);
        }
    }

    /// <summary>Staff emails by id, for tables.</summary>
    internal static async Task<Dictionary<Guid, string>> EmailsAsync(CrmClient crm, CancellationToken cancellationToken)
    {
        var emails = new Dictionary<Guid, string>();
        foreach (var role in new[] { AutoCrm.Sdk.Profiles.UserRole.Agent, AutoCrm.Sdk.Profiles.UserRole.Admin })
        {
            await foreach (var p in crm.Profiles.ListAsync(role, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                emails[p.Id] = p.Email ?? p.DisplayName;
            }
        }

        return emails;
    }
}

/// <summary>How the agent commands print a state.</summary>
internal static class AgentOutput
{
    internal static void Write(CliEnvironment environment, ReadSettings s, AgentState state, string? changed)
    {
        if (s.Json)
        {
            JsonOutput.WriteDocument(environment.Out, state);
            return;
        }

        var prefix = changed is null ? "" : changed + ": ";
        environment.Console.MarkupLine(
            $"{prefix}agent [grey]{state.AgentId}[/] is {StatusMarkup(state.Status)}, {state.OpenTickets} open ticket(s), " +
            $"capacity {(state.Capacity is { } c ? c.ToString(CultureInfo.InvariantCulture) : "inherited")}, skills {Skills(state.Skills)}");
    }

    internal static string StatusMarkup(AgentStatus status) => status switch
    {
        AgentStatus.Online => "[green]online[/]",
        AgentStatus.Away => "[yellow]away[/]",
        _ => "[grey]offline[/]",
    };

    internal static string Capacity(int? own, int? fallback) =>
        own is { } c ? c.ToString(CultureInfo.InvariantCulture) : $"[grey]{Limit(fallback)} (inherited)[/]";

    internal static string Limit(int? capacity) => capacity is { } c ? c.ToString(CultureInfo.InvariantCulture) : "no limit";

    internal static string Skills(IReadOnlyList<string> skills) => skills.Count == 0 ? "[grey]none[/]" : Markup.Escape(string.Join(", ", skills));
}

/// <summary>How a queue's routing is printed.</summary>
internal static class QueueRoutingOutput
{
    internal static void Write(CliEnvironment environment, ReadSettings s, string slug, QueueRouting routing, string? changed)
    {
        if (s.Json)
        {
            JsonOutput.WriteDocument(environment.Out, routing);
            return;
        }

        environment.Console.MarkupLine(
            $"{(changed is null ? "" : changed + ": ")}queue {Markup.Escape(slug)} routes [bold]{Arguments.Snake(routing.Mode)}[/], capacity " +
            (routing.Capacity is { } c ? c.ToString(CultureInfo.InvariantCulture) : "inherited"));
    }
}
