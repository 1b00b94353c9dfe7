namespace AutoCrm.Sdk.Fields;

/// <summary>What to define a custom ticket field with. See <see cref="FieldsClient.CreateAsync"/>.</summary>
/// <example>
/// <code>
/// await crm.Fields.CreateAsync(new NewTicketField
/// {
///     Key = "plan", Label = "Plan", Type = TicketFieldType.Dropdown,
///     Options = [new() { Value = "free", Label = "Free" }, new() { Value = "pro", Label = "Pro" }],
///     CustomerVisible = true, CustomerEditable = true, RequiredForCustomers = true,
/// });
/// </code>
/// </example>
public sealed record NewTicketField
{
    /// <summary>The metadata key: a lower-case letter, then up to 62 lower-case letters, digits or <c>_</c>; not a ticket column.</summary>
    public required string Key { get; init; }

    /// <summary>The label (1 to 100 characters).</summary>
    public required string Label { get; init; }

    /// <summary>The type.</summary>
    public required TicketFieldType Type { get; init; }

    /// <summary>A longer explanation (up to 1,000 characters).</summary>
    public string? Description { get; init; }

    /// <summary>The choices; required for dropdown and multiselect fields, refused for the others.</summary>
    public IReadOnlyList<TicketFieldOption>? Options { get; init; }

    /// <summary>The pattern; required for regex fields, refused for the others.</summary>
    public string? Pattern { get; init; }

    /// <summary>See <see cref="TicketField.RequiredForCustomers"/> (needs <see cref="CustomerEditable"/>).</summary>
    public bool RequiredForCustomers { get; init; }

    /// <summary>See <see cref="TicketField.RequiredForAgents"/>.</summary>
    public bool RequiredForAgents { get; init; }

    /// <summary>See <see cref="TicketField.RequiredToSolve"/>.</summary>
    public bool RequiredToSolve { get; init; }

    /// <summary>See <see cref="TicketField.CustomerVisible"/>. Default <see langword="false"/>: a new field is agent-only.</summary>
    public bool CustomerVisible { get; init; }

    /// <summary>See <see cref="TicketField.CustomerEditable"/> (needs <see cref="CustomerVisible"/>).</summary>
    public bool CustomerEditable { get; init; }

    /// <summary>The display order; <see langword="null"/> for the database default (0).</summary>
    public int? Position { get; init; }
}

/// <summary>A change to a field definition: the properties left <see langword="null"/> keep their value. The key and the
/// type never change (define a new field and archive this one).</summary>
public sealed record TicketFieldPatch
{
    /// <summary>A new label.</summary>
    public string? Label { get; init; }

    /// <summary>A new description.</summary>
    public string? Description { get; init; }

    /// <summary>The new full list of choices (dropdown and multiselect). Values already stored stay until they change.</summary>
    public IReadOnlyList<TicketFieldOption>? Options { get; init; }

    /// <summary>A new pattern (regex fields).</summary>
    public string? Pattern { get; init; }

    /// <summary>See <see cref="TicketField.RequiredForCustomers"/>.</summary>
    public bool? RequiredForCustomers { get; init; }

    /// <summary>See <see cref="TicketField.RequiredForAgents"/>.</summary>
    public bool? RequiredForAgents { get; init; }

    /// <summary>See <see cref="TicketField.RequiredToSolve"/>.</summary>
    public bool? RequiredToSolve { get; init; }

    /// <summary>See <see cref="TicketField.CustomerVisible"/>. Changing it moves the stored values between the stores.</summary>
    public bool? CustomerVisible { get; init; }

    /// <summary>See <see cref="TicketField.CustomerEditable"/>.</summary>
    public bool? CustomerEditable { get; init; }

    /// <summary>A new display position.</summary>
    public int? Position { get; init; }

    /// <summary><see langword="false"/> archives the field, <see langword="true"/> restores it.</summary>
    public bool? Active { get; init; }
}
