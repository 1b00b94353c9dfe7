namespace AutoCrm.Sdk.Rest;

/// <summary>How PostgREST counts the rows a query matches (<c>Prefer: count=…</c>).</summary>
public enum RestCount
{
    /// <summary>An exact <c>count(*)</c>; slow on big tables.</summary>
    Exact,

    /// <summary>The planner's estimate (fast, approximate).</summary>
    Planned,

    /// <summary>Exact up to the server's row limit, then the estimate.</summary>
    Estimated,
}
