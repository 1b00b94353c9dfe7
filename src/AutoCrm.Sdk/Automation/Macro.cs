using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Automation;

/// <summary>A macro (<c>public.macros</c>): actions and a reply template an agent applies to a ticket in one step.</summary>
public sealed record Macro
{
    /// <summary>The id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>A longer explanation.</summary>
    public string Description { get; init; } = "";

    /// <summary>The actions (the rules' vocabulary, without notify).</summary>
    public IReadOnlyList<TicketAction> Actions { get; init; } = [];

    /// <summary>The reply template, added as the last public reply; <see langword="null"/> for none.</summary>
    public string? Reply { get; init; }

    /// <summary>Shared with the team (admins make these) or personal.</summary>
    public bool Shared { get; init; }

    /// <summary>Who owns it.</summary>
    public Guid OwnerId { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A macro to create. Agents create personal macros; admins also shared ones.</summary>
public sealed record NewMacro
{
    /// <summary>The name (1 to 100 characters).</summary>
    public required string Name { get; init; }

    /// <summary>The actions (may be empty when there is a reply).</summary>
    public IReadOnlyList<TicketAction> Actions { get; init; } = [];

    /// <summary>The reply template (placeholders such as <c>{{requester.name}}</c>).</summary>
    public string? Reply { get; init; }

    /// <summary>A longer explanation.</summary>
    public string? Description { get; init; }

    /// <summary>Shared with the team (admins only).</summary>
    public bool Shared { get; init; }
}

/// <summary>A change to a macro: the properties left <see langword="null"/> keep their value.</summary>
public sealed record MacroPatch
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new description.</summary>
    public string? Description { get; init; }

    /// <summary>New actions.</summary>
    public IReadOnlyList<TicketAction>? Actions { get; init; }

    /// <summary>A new reply template.</summary>
    public string? Reply { get; init; }

    /// <summary>Share or unshare it (admins).</summary>
    public bool? Shared { get; init; }
}

/// <summary>What applying a macro would do (<see cref="MacrosClient.PreviewAsync"/>), with the placeholders filled.</summary>
public sealed record MacroPreview
{
    /// <summary>The ticket as it would be.</summary>
    public required Ticket Ticket { get; init; }

    /// <summary>The internal notes it would add.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The public replies it would add, the macro's reply last.</summary>
    public IReadOnlyList<string> Replies { get; init; } = [];
}
