using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary><c>autocrm rules list</c>: the automation rules in evaluation order (admins; nobody else sees rules).</summary>
internal sealed class RulesListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var rules = await target.Client.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, rules);
            return ExitCodes.Success;
        }

        if (rules.Count == 0)
        {
            Environment.Out.WriteLine("No rules (only admins see them).");
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("position").AddColumn("name").AddColumn("event").AddColumn("active").AddColumn("when").AddColumn("do").AddColumn("id");
        foreach (var r in rules)
        {
            table.AddRow(
                r.Position.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(r.Name),
                Arguments.Snake(r.Event),
                r.Active ? "yes" : "no",
                Markup.Escape(RuleText.Describe(r.Conditions)),
                Markup.Escape(RuleText.Describe(r.Actions)),
                r.Id.ToString());
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class RuleAddSettings : ReadSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The rule's name (shown in ticket histories when it fires).")]
    public string Name { get; init; } = "";

    [CommandOption("--event <EVENT>")]
    [Description("ticket_created (default), ticket_updated or message_created.")]
    public string Event { get; init; } = "ticket_created";

    [CommandOption("--when <CONDITION>")]
    [Description("A condition every matching ticket meets (repeat): \"FIELD OPERATOR [VALUE]\", e.g. \"subject contains refund\".")]
    public string[] When { get; init; } = [];

    [CommandOption("--any <CONDITION>")]
    [Description("A condition of which at least one must hold (repeat).")]
    public string[] Any { get; init; } = [];

    [CommandOption("--do <ACTION>")]
    [Description("An action, run in order (repeat): \"TYPE [VALUE]\", e.g. \"set_queue billing\", \"add_tags refund,vip\", \"set_field plan=pro\".")]
    public string[] Do { get; init; } = [];

    [CommandOption("--conditions <JSON>")]
    [Description("The conditions as JSON {\"all\": [...], \"any\": [...]} instead of --when/--any.")]
    public string? ConditionsJson { get; init; }

    [CommandOption("--position <N>")]
    [Description("Evaluation order (default: after the last rule).")]
    public int? Position { get; init; }

    [CommandOption("--description <TEXT>")]
    public string? Description { get; init; }

    [CommandOption("--disabled")]
    [Description("Save it without running it.")]
    public bool Disabled { get; init; }
}

/// <summary><c>autocrm rules add NAME --when … --do …</c> (admins). The database checks the rule and refuses it with a message
/// naming the bad part.</summary>
internal sealed class RulesAddCommand(CliEnvironment environment) : CrmCommand<RuleAddSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, RuleAddSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var ruleEvent = Arguments.ParseEnum<RuleEvent>(s.Event, "--event");
        if (s.ConditionsJson is not null && (s.When.Length > 0 || s.Any.Length > 0))
        {
            throw new UsageException("--conditions: give the conditions either as JSON or with --when/--any, not both");
        }

        if (s.Do.Length == 0)
        {
            throw new UsageException("--do: a rule needs at least one action, e.g. --do \"add_tags refund\"");
        }

        TicketConditions conditions;
        if (s.ConditionsJson is { } json)
        {
            try
            {
                conditions = TicketConditions.FromJson(json);
            }
            catch (CrmValidationException ex)
            {
                throw new UsageException("--conditions: " + ex.Message, ex);
            }
        }
        else
        {
            var all = new List<TicketCondition>();
            foreach (var text in s.When)
            {
                all.Add(await RuleText.ConditionAsync(crm, text, "--when", cancellationToken).ConfigureAwait(false));
            }

            var any = new List<TicketCondition>();
            foreach (var text in s.Any)
            {
                any.Add(await RuleText.ConditionAsync(crm, text, "--any", cancellationToken).ConfigureAwait(false));
            }

            conditions = new TicketConditions { All = all, Any = any };
        }

        var actions = new List<TicketAction>();
        foreach (var text in s.Do)
        {
            actions.Add(await RuleText.ActionAsync(crm, text, cancellationToken).ConfigureAwait(false));
        }

        var position = s.Position;
        if (position is null)
        {
            var rules = await crm.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
            position = rules.Count == 0 ? 10 : rules.Max(r => r.Position) + 10;
        }

        var rule = await crm.Automations.CreateAsync(
            new NewAutomationRule
            {
                Name = s.Name,
                Event = ruleEvent,
                Conditions = conditions,
                Actions = actions,
                Description = s.Description,
                Position = position,
                Active = !s.Disabled,
            },
            cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, rule);
        }
        else
        {
            Environment.Out.WriteLine($"Saved rule \"{rule.Name}\" ({rule.Id}) at position {rule.Position}{(rule.Active ? "" : ", disabled")}.");
        }

        return ExitCodes.Success;
    }
}

internal sealed class RuleRefSettings : ReadSettings
{
    [CommandArgument(0, "<RULE>")]
    [Description("The rule's id or name.")]
    public string Rule { get; init; } = "";
}

/// <summary><c>autocrm rules enable RULE</c>.</summary>
internal sealed class RulesEnableCommand(CliEnvironment environment) : CrmCommand<RuleRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, RuleRefSettings s, CancellationToken cancellationToken)
    {
        var rule = await RuleLookup.FindAsync(target.Client, s.Rule, cancellationToken).ConfigureAwait(false);
        rule = await target.Client.Automations.EnableAsync(rule.Id, cancellationToken).ConfigureAwait(false);
        Environment.Out.WriteLine($"Enabled rule \"{rule.Name}\".");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm rules disable RULE</c>: kept, not run.</summary>
internal sealed class RulesDisableCommand(CliEnvironment environment) : CrmCommand<RuleRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, RuleRefSettings s, CancellationToken cancellationToken)
    {
        var rule = await RuleLookup.FindAsync(target.Client, s.Rule, cancellationToken).ConfigureAwait(false);
        rule = await target.Client.Automations.DisableAsync(rule.Id, cancellationToken).ConfigureAwait(false);
        Environment.Out.WriteLine($"Disabled rule \"{rule.Name}\": it is kept but does not run.");
        return ExitCodes.Success;
    }
}

internal sealed class RuleTestSettings : ReadSettings
{
    [CommandArgument(0, "[RULE]")]
    [Description("The rule to try (id or name; tried even when disabled). Without it: every active rule.")]
    public string? Rule { get; init; }

    [CommandOption("--ticket <TICKET>")]
    [Description("The ticket to try it on (uuid, 42 or #42).")]
    public string? Ticket { get; init; }

    [CommandOption("--last <N>")]
    [Description("Try it on the N most recent tickets instead (1 to 100; default 10).")]
    public int? Last { get; init; }

    [CommandOption("--event <EVENT>")]
    [Description("The event to imagine (default: the rule's, else ticket_updated).")]
    public string? Event { get; init; }
}

/// <summary>
/// <c>autocrm rules test [RULE] --ticket T | --last N</c>: the database's dry run — which rules would fire for each ticket
/// as if the event happened to it now, and what they would change. Nothing is written.
/// </summary>
internal sealed class RulesTestCommand(CliEnvironment environment) : CrmCommand<RuleTestSettings>(environment)
{
    internal const int MaxLast = 100;

    protected override async Task<int> RunAsync(CrmTarget target, RuleTestSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        if (s.Ticket is not null && s.Last is not null)
        {
            throw new UsageException("--ticket and --last: choose one");
        }

        var last = s.Last ?? 10;
        if (last is < 1 or > MaxLast)
        {
            throw new UsageException($"--last: {last} is not between 1 and {MaxLast}");
        }

        var rule = s.Rule is null ? null : await RuleLookup.FindAsync(crm, s.Rule, cancellationToken).ConfigureAwait(false);
        var ruleEvent = s.Event is not null ? Arguments.ParseEnum<RuleEvent>(s.Event, "--event") : rule?.Event ?? RuleEvent.TicketUpdated;
        var tickets = new List<Ticket>();
        if (s.Ticket is not null)
        {
            tickets.Add(await Arguments.TicketAsync(crm, s.Ticket, TicketInclude.None, cancellationToken).ConfigureAwait(false));
        }
        else
        {
            await foreach (var ticket in crm.Tickets.ListAsync(new TicketQuery { Sort = TicketSort.Created, Descending = true, PageSize = last }, cancellationToken).ConfigureAwait(false))
            {
                tickets.Add(ticket);
                if (tickets.Count == last)
                {
                    break;
                }
            }
        }

        var test = new RuleTest
        {
            Event = ruleEvent,
            Rules = rule is null ? null : [new NewAutomationRule { Name = rule.Name, Event = rule.Event, Conditions = rule.Conditions, Actions = rule.Actions }],
        };
        var results = new List<RuleTestLine>();
        foreach (var ticket in tickets)
        {
            var result = await crm.Automations.TestAsync(ticket.Id, test, cancellationToken).ConfigureAwait(false);
            results.Add(new RuleTestLine(ticket.Number, ticket.Id, ticket.Subject, result.Fired, result.Stopped));
        }

        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, results);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("subject").AddColumn("would fire").AddColumn("would do");
        foreach (var line in results)
        {
            table.AddRow(
                line.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(line.Subject),
                line.Fired.Count == 0 ? "-" : Markup.Escape(string.Join(", ", line.Fired.Select(f => f.RuleName))),
                Markup.Escape(string.Join("; ", line.Fired.Select(Changes).Concat(line.Stopped.Select(st => "stopped: " + st.Reason)))));
        }

        Console.Write(table);
        Environment.Out.WriteLine($"{results.Count(r => r.Fired.Count > 0)} of {results.Count} ticket(s) would match ({Arguments.Snake(ruleEvent)}; nothing was written).");
        return ExitCodes.Success;
    }

    private static string Changes(RuleFiring firing) =>
        string.Join(", ", firing.PublicChanges.Concat(firing.InternalChanges).Select(c => $"{c.Key}: {c.Value.Old.GetRawText()} -> {c.Value.New.GetRawText()}")
            .Concat(firing.Notes.Select(n => "note: " + n)).Concat(firing.Replies.Select(r => "reply: " + r)).Concat(firing.Notify.Select(n => "notify: " + n.GetRawText())));
}

/// <summary>One ticket of a dry run (the <c>--json</c> shape of <c>rules test</c>).</summary>
internal sealed record RuleTestLine(long Number, Guid Id, string Subject, IReadOnlyList<RuleFiring> Fired, IReadOnlyList<RuleStop> Stopped);

/// <summary>Finds a rule by id or by name (exact, ignoring case).</summary>
internal static class RuleLookup
{
    internal static async Task<AutomationRule> FindAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        var rules = await crm.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var matches = Guid.TryParse(reference, out var id)
            ? rules.Where(r => r.Id == id).ToList()
            : rules.Where(r => string.Equals(r.Name, reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new NotFoundException($"rule '{reference}' not found (only admins see rules)"),
            _ => throw new UsageException($"{matches.Count} rules are named '{reference}'; use the id ({string.Join(", ", matches.Select(r => r.Id))})"),
        };
    }
}
