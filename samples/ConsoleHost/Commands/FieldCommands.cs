using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Fields;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class FieldListSettings : ReadSettings
{
    [CommandOption("--archived")]
    [Description("Also the archived fields.")]
    public bool Archived { get; init; }
}

/// <summary><c>autocrm fields list</c>: the definitions the caller may see, in display order.</summary>
internal sealed class FieldsListCommand(CliEnvironment environment) : CrmCommand<FieldListSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, FieldListSettings s, CancellationToken cancellationToken)
    {
        var fields = await target.Client.Fields.ListAsync(s.Archived, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, fields);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("key").AddColumn("label").AddColumn("type").AddColumn("customers").AddColumn("required").AddColumn("active");
        foreach (var f in fields)
        {
            var required = string.Join(", ", new[] { f.RequiredForCustomers ? "customers" : null, f.RequiredForAgents ? "agents" : null, f.RequiredToSolve ? "to solve" : null }.OfType<string>());
            table.AddRow(
                Markup.Escape(f.Key),
                Markup.Escape(f.Label),
                f.Type.ToString().ToLowerInvariant() + (f.Options.Count > 0 ? ": " + Markup.Escape(string.Join(", ", f.Options.Select(o => o.Value))) : ""),
                f.CustomerEditable ? "fill in" : f.CustomerVisible ? "see" : "agents only",
                required,
                f.Active ? "yes" : "archived");
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class FieldAddSettings : ReadSettings
{
    [CommandArgument(0, "<KEY>")]
    [Description("The metadata key: a lower-case letter, then letters, digits or _.")]
    public string FieldKey { get; init; } = "";

    [CommandArgument(1, "<LABEL>")]
    [Description("What people see.")]
    public string Label { get; init; } = "";

    [CommandOption("--type <TYPE>")]
    [Description("text, textarea, integer, decimal, checkbox, date, dropdown, multiselect or regex (default text).")]
    public string Type { get; init; } = "text";

    [CommandOption("--option <VALUE>")]
    [Description("A choice of a dropdown or multiselect (repeat); \"value=Label\" for a label of its own.")]
    public string[] Options { get; init; } = [];

    [CommandOption("--pattern <REGEX>")]
    [Description("Regex fields: the PostgreSQL regular expression the whole value must match.")]
    public string? Pattern { get; init; }

    [CommandOption("--description <TEXT>")]
    public string? Description { get; init; }

    [CommandOption("--customer-visible")]
    [Description("Customers see it (default: agent-only).")]
    public bool CustomerVisible { get; init; }

    [CommandOption("--customer-editable")]
    [Description("Customers fill it in (implies --customer-visible).")]
    public bool CustomerEditable { get; init; }

    [CommandOption("--required-for-customers")]
    public bool RequiredForCustomers { get; init; }

    [CommandOption("--required-for-agents")]
    public bool RequiredForAgents { get; init; }

    [CommandOption("--required-to-solve")]
    public bool RequiredToSolve { get; init; }
}

/// <summary><c>autocrm fields add &lt;key&gt; &lt;label&gt; --type …</c> (admins). The database checks the definition.</summary>
internal sealed class FieldsAddCommand(CliEnvironment environment) : CrmCommand<FieldAddSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, FieldAddSettings s, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<TicketFieldType>(s.Type, ignoreCase: true, out var type) || !Enum.IsDefined(type) || int.TryParse(s.Type, out _))
        {
            throw new UsageException($"--type: \"{s.Type}\" is not a field type; use one of {string.Join(", ", Enum.GetNames<TicketFieldType>().Select(n => n.ToLowerInvariant()))}.");
        }

        var options = s.Options.Select(o => o.Split('=', 2)).Select(p => new TicketFieldOption { Value = p[0], Label = p.Length > 1 ? p[1] : p[0] }).ToList();
        var field = await target.Client.Fields.CreateAsync(
            new NewTicketField
            {
                Key = s.FieldKey,
                Label = s.Label,
                Type = type,
                Description = s.Description,
                Options = options.Count > 0 ? options : null,
                Pattern = s.Pattern,
                CustomerVisible = s.CustomerVisible || s.CustomerEditable || s.RequiredForCustomers,
                CustomerEditable = s.CustomerEditable || s.RequiredForCustomers,
                RequiredForCustomers = s.RequiredForCustomers,
                RequiredForAgents = s.RequiredForAgents,
                RequiredToSolve = s.RequiredToSolve,
            },
            cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, field);
        }
        else
        {
            Environment.Out.WriteLine($"Defined field \"{field.Key}\" ({field.Type.ToString().ToLowerInvariant()}).");
        }

        return ExitCodes.Success;
    }
}

internal sealed class FieldRefSettings : ConnectionSettings
{
    [CommandArgument(0, "<KEY>")]
    [Description("The field's key.")]
    public string FieldKey { get; init; } = "";
}

/// <summary><c>autocrm fields archive &lt;key&gt;</c> (admins): tickets keep the values; no new ones are accepted.</summary>
internal sealed class FieldsArchiveCommand(CliEnvironment environment) : CrmCommand<FieldRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, FieldRefSettings s, CancellationToken cancellationToken)
    {
        var field = await target.Client.Fields.ArchiveAsync(s.FieldKey, cancellationToken).ConfigureAwait(false);
        Environment.Out.WriteLine($"Archived field \"{field.Key}\": tickets keep their values.");
        return ExitCodes.Success;
    }
}
