namespace AutoCrm.Sdk.Fields;

/// <summary>A custom ticket field definition (a row of <c>public.ticket_fields</c>). Its values live in the ticket's
/// metadata under <see cref="Key"/>; agent-only ones (<see cref="CustomerVisible"/> false) are kept apart, where no customer
/// can read them. See docs/custom-fields.md.</summary>
public sealed record TicketField
{
    /// <summary>The field id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The metadata key (a lower-case slug); it never changes.</summary>
    public required string Key { get; init; }

    /// <summary>The label shown next to the input.</summary>
    public string Label { get; init; } = "";

    /// <summary>A longer explanation (may be empty).</summary>
    public string Description { get; init; } = "";

    /// <summary>The type; it never changes.</summary>
    public TicketFieldType Type { get; init; }

    /// <summary>The choices of a dropdown or multiselect field (empty for other types).</summary>
    public IReadOnlyList<TicketFieldOption> Options { get; init; } = [];

    /// <summary>The regular expression a regex field's whole value must match; <see langword="null"/> for other types.</summary>
    public string? Pattern { get; init; }

    /// <summary>A customer's new ticket must give a value, and a customer cannot clear it.</summary>
    public bool RequiredForCustomers { get; init; }

    /// <summary>An agent's or admin's new ticket must give a value, and staff cannot clear it.</summary>
    public bool RequiredForAgents { get; init; }

    /// <summary>Staff cannot move a ticket into solved or closed while the field is empty.</summary>
    public bool RequiredToSolve { get; init; }

    /// <summary>Customers see the field and its values; <see langword="false"/>: an agent-only field.</summary>
    public bool CustomerVisible { get; init; }

    /// <summary>Customers may set and change its value.</summary>
    public bool CustomerEditable { get; init; }

    /// <summary>The display order (smallest first).</summary>
    public int Position { get; init; }

    /// <summary><see langword="false"/>: archived; its values are kept but no new value is accepted.</summary>
    public bool Active { get; init; } = true;

    /// <summary>When the field was defined.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the definition last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A choice of a dropdown or multiselect field.</summary>
public sealed record TicketFieldOption
{
    /// <summary>What is stored in the ticket (one line of 1 to 100 characters).</summary>
    public required string Value { get; init; }

    /// <summary>What is shown.</summary>
    public required string Label { get; init; }
}
