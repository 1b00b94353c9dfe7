using AutoCrm.Sdk.Fields;

namespace AutoCrm.WebHost.CustomFields;

/// <summary>A field's options as the admin forms show and take them: one a line, <c>value</c> or <c>value | Label</c>.</summary>
internal static class FieldOptionsText
{
    public static List<TicketFieldOption> Parse(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|', 2, StringSplitOptions.TrimEntries))
            .Select(parts => new TicketFieldOption { Value = parts[0], Label = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : parts[0] })
            .ToList();

    public static string Format(IEnumerable<TicketFieldOption> options) =>
        string.Join('\n', options.Select(o => o.Label == o.Value ? o.Value : $"{o.Value} | {o.Label}"));
}
