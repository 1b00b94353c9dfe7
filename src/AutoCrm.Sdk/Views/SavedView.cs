namespace AutoCrm.Sdk.Views;

/// <summary>A saved view (<c>public.ticket_views</c>): a named search in the query language (docs/search.md) with a sort
/// and a position. Everyone keeps their own; admins also make <see cref="Shared"/> views, which every agent and admin sees.</summary>
public sealed record SavedView
{
    /// <summary>The view's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>Who made it (the only one who changes it, unless it is shared: then admins do).</summary>
    public Guid OwnerId { get; init; }

    /// <summary>A team view made by an admin, seen by every agent and admin (never by customers).</summary>
    public bool Shared { get; init; }

    /// <summary>The name (1–100 characters, unique per owner, or among shared views, ignoring case).</summary>
    public string Name { get; init; } = "";

    /// <summary>The search in the query language, e.g. <c>status:open tag:billing refund</c> (empty: every visible ticket).</summary>
    public string Query { get; init; } = "";

    /// <summary>The order of the hits: one of <see cref="SavedViewSorts.All"/> (<c>updated_at.desc</c> by default).</summary>
    public string Sort { get; init; } = SavedViewSorts.UpdatedDescending;

    /// <summary>Display order among the caller's views (0–100000).</summary>
    public int Position { get; init; }

    /// <summary>When the view was made.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the view last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A view to save with <see cref="ViewsClient.CreateAsync"/>.</summary>
public sealed record NewSavedView
{
    /// <summary>The name (1–100 characters, no control characters).</summary>
    public required string Name { get; init; }

    /// <summary>The search in the query language (at most 1,000 characters); checked by the SDK before saving.</summary>
    public string Query { get; init; } = "";

    /// <summary>One of <see cref="SavedViewSorts.All"/>; null for the server's default (<c>updated_at.desc</c>).</summary>
    public string? Sort { get; init; }

    /// <summary>Display order; null for 0.</summary>
    public int? Position { get; init; }

    /// <summary>A team view for every agent and admin (admins only).</summary>
    public bool Shared { get; init; }
}

/// <summary>A change to a saved view: the properties left <see langword="null"/> keep their value.</summary>
public sealed record SavedViewPatch
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new query (checked by the SDK before saving).</summary>
    public string? Query { get; init; }

    /// <summary>A new sort (one of <see cref="SavedViewSorts.All"/>).</summary>
    public string? Sort { get; init; }

    /// <summary>A new position.</summary>
    public int? Position { get; init; }

    /// <summary>Share or unshare (admins only).</summary>
    public bool? Shared { get; init; }
}

/// <summary>The sorts a saved view may have (PostgREST order syntax, as the database stores them).</summary>
public static class SavedViewSorts
{
    /// <summary>By relevance (for views with words).</summary>
    public const string RankDescending = "rank.desc";

    /// <summary>Most recently updated first (the default).</summary>
    public const string UpdatedDescending = "updated_at.desc";

    /// <summary>Every sort the database accepts.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        RankDescending, "created_at.desc", "created_at.asc", UpdatedDescending, "updated_at.asc",
        "priority.desc", "priority.asc", "number.desc", "number.asc",
    ];
}
