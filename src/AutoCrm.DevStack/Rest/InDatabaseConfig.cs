namespace AutoCrm.DevStack.Rest;

/// <summary>PostgREST's <c>db-tx-end</c>: how a request's transaction ends, and whether <c>Prefer: tx</c> may change it.</summary>
internal enum TransactionEnd
{
    Commit,
    CommitAllowOverride,
    Rollback,
    RollbackAllowOverride,
}

/// <summary>
/// The settings PostgREST reads from the database (<c>ALTER ROLE authenticator SET pgrst.&lt;name&gt; = …</c>, then
/// <c>NOTIFY pgrst, 'reload config'</c>). They override the DevStack's own configuration, as in PostgREST.
/// </summary>
internal sealed record InDatabaseConfig
{
    public static InDatabaseConfig Default { get; } = new();

    /// <summary><c>pgrst.db_schemas</c>: the exposed schemas (first = default), or null to keep the configured ones.</summary>
    public IReadOnlyList<string>? Schemas { get; init; }

    /// <summary><c>pgrst.db_plan_enabled</c>.</summary>
    public bool PlanEnabled { get; init; }

    /// <summary><c>pgrst.db_aggregates_enabled</c>.</summary>
    public bool AggregatesEnabled { get; init; }

    /// <summary><c>pgrst.db_tx_end</c>.</summary>
    public TransactionEnd TxEnd { get; init; } = TransactionEnd.Commit;

    /// <summary>
    /// How a request's transaction ends: rolled back or committed by <see cref="TxEnd"/>, or as <c>Prefer: tx</c>
    /// asks where an override is allowed (then <paramref name="applied"/> names it for Preference-Applied).
    /// </summary>
    public bool EndsInRollback(bool? requestedRollback, out string? applied)
    {
        var allowOverride = TxEnd is TransactionEnd.CommitAllowOverride or TransactionEnd.RollbackAllowOverride;
        applied = allowOverride && requestedRollback is { } r ? (r ? "tx=rollback" : "tx=commit") : null;
        return allowOverride && requestedRollback is { } requested
            ? requested
            : TxEnd is TransactionEnd.Rollback or TransactionEnd.RollbackAllowOverride;
    }

    /// <summary>Reads the <c>pgrst.</c> settings (names without the prefix); unknown values keep PostgREST's defaults.</summary>
    public static InDatabaseConfig From(IReadOnlyDictionary<string, string> settings)
    {
        if (settings.Count == 0)
        {
            return Default;
        }

        return new InDatabaseConfig
        {
            Schemas = ExposedSchemas.TryParse(settings.GetValueOrDefault("db_schemas")),
            PlanEnabled = Bool(settings.GetValueOrDefault("db_plan_enabled")),
            AggregatesEnabled = Bool(settings.GetValueOrDefault("db_aggregates_enabled")),
            TxEnd = settings.GetValueOrDefault("db_tx_end")?.Trim().ToLowerInvariant() switch
            {
                "commit-allow-override" => TransactionEnd.CommitAllowOverride,
                "rollback" => TransactionEnd.Rollback,
                "rollback-allow-override" => TransactionEnd.RollbackAllowOverride,
                _ => TransactionEnd.Commit,
            },
        };
    }

    private static bool Bool(string? value) => value?.Trim().ToLowerInvariant() is "true" or "on" or "1" or "yes";
}
