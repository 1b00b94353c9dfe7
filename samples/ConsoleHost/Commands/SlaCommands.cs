using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Sla;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary><c>autocrm sla list</c>: the SLA policies in the order they are tried, and the business-hours calendars (staff;
/// customers see none).</summary>
internal sealed class SlaListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var policies = await crm.Sla.ListPoliciesAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var calendars = await crm.Sla.ListCalendarsAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, new SlaListing(policies, calendars));
            return ExitCodes.Success;
        }

        if (policies.Count == 0 && calendars.Count == 0)
        {
            Environment.Out.WriteLine("No SLA policies or calendars (customers see none).");
            return ExitCodes.Success;
        }

        var names = calendars.ToDictionary(c => c.Id, c => c.Name);
        var table = new Table().Border(TableBorder.Rounded).Title("SLA policies")
            .AddColumn("position").AddColumn("name").AddColumn("active").AddColumn("when").AddColumn("targets").AddColumn("counted in").AddColumn("id");
        foreach (var p in policies)
        {
            table.AddRow(
                p.Position.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(p.Name),
                p.Active ? "yes" : "no",
                Markup.Escape(p.Conditions.All.Count + p.Conditions.Any.Count == 0 ? "every ticket" : RuleText.Describe(p.Conditions)),
                Markup.Escape(SlaText.Targets(p.Targets)),
                Markup.Escape(p.BusinessHoursId is { } id ? names.GetValueOrDefault(id, id.ToString()) : "calendar time"),
                p.Id.ToString());
        }

        Console.Write(table);
        var hours = new Table().Border(TableBorder.Rounded).Title("Business-hours calendars")
            .AddColumn("name").AddColumn("time zone").AddColumn("opening hours").AddColumn("holidays").AddColumn("id");
        foreach (var c in calendars)
        {
            hours.AddRow(
                Markup.Escape(c.Name),
                Markup.Escape(c.TimeZone),
                Markup.Escape(string.Join(", ", c.Intervals.Select(i => $"{Arguments.Snake(i.Day)} {i.Start}-{i.End}"))),
                c.Holidays.Count.ToString(CultureInfo.InvariantCulture),
                c.Id.ToString());
        }

        Console.Write(hours);
        return ExitCodes.Success;
    }
}

/// <summary>What <c>sla list --json</c> prints.</summary>
internal sealed record SlaListing(IReadOnlyList<SlaPolicy> Policies, IReadOnlyList<BusinessCalendar> Calendars);

internal sealed class SlaAddSettings : ReadSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The policy's name.")]
    public string Name { get; init; } = "";

    [CommandOption("-t|--target <TARGET>")]
    [Description("A target (repeat): PRIORITY.METRIC=TIME, e.g. urgent.first_reply=30, normal.resolution=8h (minutes; or with m, h or d).")]
    public string[] Targets { get; init; } = [];

    [CommandOption("--calendar <CALENDAR>")]
    [Description("The business-hours calendar the targets count in (name or id); calendar time without it.")]
    public string? Calendar { get; init; }

    [CommandOption("--when <CONDITION>")]
    [Description("A condition every matching ticket meets (repeat), as in rules add: \"priority is urgent\", \"tags contains vip\".")]
    public string[] When { get; init; } = [];

    [CommandOption("--any <CONDITION>")]
    [Description("A condition of which at least one must hold (repeat).")]
    public string[] Any { get; init; } = [];

    [CommandOption("--position <N>")]
    [Description("The order policies are tried in (default: after the last one); the first that matches a ticket applies.")]
    public int? Position { get; init; }

    [CommandOption("--disabled")]
    [Description("Save it without applying it.")]
    public bool Disabled { get; init; }
}

/// <summary><c>autocrm sla add NAME --target urgent.first_reply=30 …</c> (admins). The shape of each target is checked here,
/// the values by the database, whose message names the bad part.</summary>
internal sealed class SlaAddCommand(CliEnvironment environment) : CrmCommand<SlaAddSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, SlaAddSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var targets = SlaText.ParseTargets(s.Targets);
        Guid? calendar = s.Calendar is { } reference ? await SlaText.CalendarAsync(crm, reference, cancellationToken).ConfigureAwait(false) : null;
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

        var position = s.Position;
        if (position is null)
        {
            var policies = await crm.Sla.ListPoliciesAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
            position = policies.Count == 0 ? 10 : policies.Max(p => p.Position) + 10;
        }

        var policy = await crm.Sla.CreatePolicyAsync(
            new NewSlaPolicy
            {
                Name = s.Name,
                Targets = targets,
                Conditions = new TicketConditions { All = all, Any = any },
                Position = position,
                Active = !s.Disabled,
                BusinessHoursId = calendar,
            },
            cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, policy);
        }
        else
        {
            Environment.Out.WriteLine($"Saved SLA policy \"{policy.Name}\" ({policy.Id}) at position {policy.Position}: {SlaText.Targets(policy.Targets)}{(policy.Active ? "" : ", disabled")}.");
        }

        return ExitCodes.Success;
    }
}

internal sealed class SlaRemoveSettings : ConnectionSettings
{
    [CommandArgument(0, "<POLICY>")]
    [Description("The policy's name (ignoring case) or id, as sla list shows them.")]
    public string Policy { get; init; } = "";
}

/// <summary><c>autocrm sla rm NAME|ID</c> (admins): deletes a policy. Clocks it already started keep running with their
/// targets, as the database keeps them; new tickets get the next policy that matches.</summary>
internal sealed class SlaRemoveCommand(CliEnvironment environment) : CrmCommand<SlaRemoveSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, SlaRemoveSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var policy = await SlaText.PolicyAsync(crm, s.Policy, cancellationToken).ConfigureAwait(false);
        await crm.Sla.DeletePolicyAsync(policy.Id, cancellationToken).ConfigureAwait(false);
        Environment.Out.WriteLine($"Deleted SLA policy \"{policy.Name}\" ({policy.Id}); clocks it started keep their targets.");
        return ExitCodes.Success;
    }
}

/// <summary>SLA targets and calendars as the command line writes them.</summary>
internal static partial class SlaText
{
    private static readonly string[] Priorities = ["urgent", "high", "normal", "low"];
    private static readonly string[] Metrics = ["first_reply", "next_reply", "resolution"];

    /// <summary>Reads <c>PRIORITY.METRIC=TIME</c> targets; a malformed one is a usage error naming it.</summary>
    internal static IReadOnlyDictionary<string, SlaTargets> ParseTargets(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0)
        {
            throw new UsageException("--target: a policy needs at least one target, e.g. --target urgent.first_reply=30");
        }

        var targets = new Dictionary<string, SlaTargets>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            var m = TargetPattern().Match(text.Trim());
            if (!m.Success)
            {
                throw new UsageException($"--target \"{text}\": write PRIORITY.METRIC=TIME, e.g. urgent.first_reply=30 or normal.resolution=8h");
            }

            var priority = m.Groups["priority"].Value.ToLowerInvariant();
            var metric = m.Groups["metric"].Value.ToLowerInvariant();
            if (!Priorities.Contains(priority))
            {
                throw new UsageException($"--target \"{text}\": \"{priority}\" is not a priority; use one of {string.Join(", ", Priorities)}");
            }

            if (!Metrics.Contains(metric))
            {
                throw new UsageException($"--target \"{text}\": \"{metric}\" is not a metric; use one of {string.Join(", ", Metrics)}");
            }

            var unit = m.Groups["unit"].Value.ToLowerInvariant() switch { "h" => 60L, "d" => 1440L, _ => 1L };
            if (!long.TryParse(m.Groups["amount"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount * unit > int.MaxValue)
            {
                throw new UsageException($"--target \"{text}\": the time is too large");
            }

            var minutes = (int)(amount * unit);
            var current = targets.GetValueOrDefault(priority) ?? new SlaTargets();
            if ((metric == "first_reply" ? current.FirstReply : metric == "next_reply" ? current.NextReply : current.Resolution) is not null)
            {
                throw new UsageException($"--target \"{text}\": {priority}.{metric} is given twice");
            }

            targets[priority] = metric switch
            {
                "first_reply" => current with { FirstReply = minutes },
                "next_reply" => current with { NextReply = minutes },
                _ => current with { Resolution = minutes },
            };
        }

        return targets;
    }

    /// <summary>The targets in a line: <c>urgent: first_reply 30m, resolution 4h; normal: …</c>.</summary>
    internal static string Targets(IReadOnlyDictionary<string, SlaTargets> targets)
    {
        var parts = Priorities.Where(targets.ContainsKey).Select(p =>
        {
            var t = targets[p];
            var metrics = new (string Name, int? Minutes)[] { ("first_reply", t.FirstReply), ("next_reply", t.NextReply), ("resolution", t.Resolution) }
                .Where(x => x.Minutes is not null)
                .Select(x => $"{x.Name} {Duration(x.Minutes!.Value)}");
            return $"{p}: {string.Join(", ", metrics)}";
        }).ToList();
        return parts.Count == 0 ? "no targets" : string.Join("; ", parts);
    }

    /// <summary>Minutes as the command line writes them: <c>45m</c>, <c>4h</c>, <c>2d</c>, <c>90m</c>.</summary>
    internal static string Duration(int minutes) =>
        minutes % 1440 == 0 ? $"{minutes / 1440}d" : minutes % 60 == 0 ? $"{minutes / 60}h" : $"{minutes}m";

    /// <summary>A calendar by id or name (ignoring case); exit 3 when there is none.</summary>
    internal static async Task<Guid> CalendarAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        var calendars = await crm.Sla.ListCalendarsAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var found = Guid.TryParse(reference, out var id)
            ? calendars.FirstOrDefault(c => c.Id == id)
            : calendars.FirstOrDefault(c => string.Equals(c.Name, reference, StringComparison.OrdinalIgnoreCase));
        return found?.Id ?? throw new NotFoundException($"no business-hours calendar \"{reference}\" (autocrm sla list shows them)");
    }

    /// <summary>A policy by id or name (ignoring case); exit 3 when there is none, a usage error when a name is not unique.</summary>
    internal static async Task<SlaPolicy> PolicyAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        var policies = await crm.Sla.ListPoliciesAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var found = Guid.TryParse(reference, out var id)
            ? policies.Where(p => p.Id == id).ToList()
            : policies.Where(p => string.Equals(p.Name, reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return found.Count switch
        {
            0 => throw new NotFoundException($"no SLA policy \"{reference}\" (autocrm sla list shows them)"),
            1 => found[0],
            _ => throw new UsageException($"{found.Count} SLA policies are named \"{reference}\"; give the id (autocrm sla list shows it)"),
        };
    }

    [GeneratedRegex(@"^(?<priority>[A-Za-z]+)\.(?<metric>[A-Za-z_]+)\s*=\s*(?<amount>\d{1,9})\s*(?<unit>[mhdMHD]?)$")]
    private static partial Regex TargetPattern();
}
