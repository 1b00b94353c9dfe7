namespace AutoCrm.DataGenerator;

/// <summary>What <see cref="CrmDataGenerator"/> produces. The same options (and the same version of this library) always produce the same data.</summary>
/// <example>
/// <code>
/// var generator = new CrmDataGenerator(new CrmDataOptions { Tickets = 1_000_000 });
/// var summary = await generator.LoadAsync(connectionString);
/// var busiestAgent = generator.Data.Queues[0].AgentIds[0];
/// </code>
/// </example>
public sealed record CrmDataOptions
{
    /// <summary>How many tickets. Default 10 000.</summary>
    public int Tickets { get; init; } = 10_000;

    /// <summary>The random seed: change it for different but equally shaped data. Default 1.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>How many customers; null = one per 20 tickets (at least 20). Who files a ticket is Zipf-distributed, so
    /// <see cref="CrmDataSet.Customers"/>[0] files the most.</summary>
    public int? Customers { get; init; }

    /// <summary>How many agents; null = one per 10 000 tickets, between 6 and 200.</summary>
    public int? Agents { get; init; }

    /// <summary>How many admins. Default 2.</summary>
    public int Admins { get; init; } = 2;

    /// <summary>How many queues (1 to 200). Default 20. Their volume is Zipf-distributed: <see cref="CrmDataSet.Queues"/>[0] is the busiest.</summary>
    public int Queues { get; init; } = 20;

    /// <summary>How many years the tickets span, ending at <see cref="End"/>. Default 3.</summary>
    public double Years { get; init; } = 3;

    /// <summary>The end of the generated history: no timestamp is later. A fixed default (2026-12-01T00:00Z) keeps the data
    /// reproducible; pass the current time for data that looks live (SLA clocks).</summary>
    public DateTimeOffset End { get; init; } = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The password of every generated user. Default <c>autocrm-scale</c>.</summary>
    public string Password { get; init; } = "autocrm-scale";

    /// <summary>Tickets per transaction. Default 2 000 (a running DevStack's Realtime buffers one transaction at a time).</summary>
    public int BatchSize { get; init; } = 2_000;

    /// <summary>How many batches load at once, each on its own connection. Default: the processor count, at most 4.
    /// The data does not depend on it.</summary>
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Run <c>VACUUM (ANALYZE)</c> on the loaded tables at the end (visibility map set, statistics fresh), as a
    /// database in service would be. Default true; false runs only <c>ANALYZE</c>.</summary>
    public bool Vacuum { get; init; } = true;

    /// <summary>Steps that load rows for tables added by later features, after the core tables (see <see cref="ICrmDataExtension"/>).</summary>
    public IReadOnlyList<ICrmDataExtension> Extensions { get; init; } = [];

    internal int CustomerCount => Customers ?? Math.Max(20, Tickets / 20);

    internal int AgentCount => Agents ?? Math.Clamp(Tickets / 10_000, 6, 200);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Tickets, nameof(Tickets));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Tickets, 100_000_000, nameof(Tickets));
        ArgumentOutOfRangeException.ThrowIfLessThan(CustomerCount, 1, nameof(Customers));
        ArgumentOutOfRangeException.ThrowIfLessThan(AgentCount, 1, nameof(Agents));
        ArgumentOutOfRangeException.ThrowIfNegative(Admins, nameof(Admins));
        ArgumentOutOfRangeException.ThrowIfLessThan(Queues, 1, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Queues, 200, nameof(Queues));
        ArgumentOutOfRangeException.ThrowIfLessThan(Years, 0.01, nameof(Years));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Years, 30, nameof(Years));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1, nameof(Parallelism));
        ArgumentException.ThrowIfNullOrEmpty(Password, nameof(Password));
        ArgumentNullException.ThrowIfNull(Extensions, nameof(Extensions));
    }
}
