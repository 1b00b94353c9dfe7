using Npgsql;

namespace AutoCrm.DataGenerator;

/// <summary>
/// A step that loads rows for a table the core generator does not know (custom field values, SLA clocks, ratings, …).
/// Add it to <see cref="CrmDataOptions.Extensions"/>; it runs after the core tables are loaded and before
/// <c>VACUUM (ANALYZE)</c>, with user triggers off, so it writes whatever its own triggers would have derived.
/// Draw randomness from <see cref="CrmDataContext.Random"/> with your own purpose name: the core data never changes
/// because an extension was added, and the extension's rows are reproducible too.
/// </summary>
/// <example>
/// <code>
/// sealed class RatingsExtension : ICrmDataExtension
/// {
///     public string Name => "ratings";
///     public async Task LoadAsync(CrmDataContext context, CancellationToken cancellationToken)
///     {
///         await using var copy = await context.Connection.BeginBinaryImportAsync("copy public.ticket_ratings (ticket_id, score) from stdin (format binary)", cancellationToken);
///         foreach (var ticket in context.Tickets().Where(t => t.Status == "closed"))
///         {
///             var random = context.Random("rating", ticket.Index);
///             await copy.StartRowAsync(cancellationToken);
///             await copy.WriteAsync(ticket.Id, cancellationToken);
///             await copy.WriteAsync((short)(1 + random.Next(5)), cancellationToken);
///         }
///         await copy.CompleteAsync(cancellationToken);
///     }
/// }
/// </code>
/// </example>
public interface ICrmDataExtension
{
    /// <summary>A short name, for progress and errors.</summary>
    string Name { get; }

    /// <summary>Loads the extension's rows.</summary>
    /// <param name="context">The connection (open, user triggers off, no transaction) and the generated data.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>A task that completes when the rows are written.</returns>
    Task LoadAsync(CrmDataContext context, CancellationToken cancellationToken);
}

/// <summary>What an <see cref="ICrmDataExtension"/> gets: a connection and the generated data.</summary>
public sealed class CrmDataContext
{
    private readonly CrmDataGenerator _generator;

    internal CrmDataContext(CrmDataGenerator generator, NpgsqlConnection connection, long numberOffset, long eventIdOffset)
    {
        _generator = generator;
        Connection = connection;
        NumberOffset = numberOffset;
        EventIdOffset = eventIdOffset;
    }

    /// <summary>An open connection with <c>session_replication_role = replica</c> (user triggers and foreign-key checks off).</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The options the data was generated with.</summary>
    public CrmDataOptions Options => _generator.Options;

    /// <summary>The people and queues.</summary>
    public CrmDataSet Data => _generator.Data;

    /// <summary>The ticket numbers in use before this load (ticket <c>i</c> has number offset + i + 1).</summary>
    public long NumberOffset { get; }

    /// <summary>The event ids in use before this load.</summary>
    public long EventIdOffset { get; }

    /// <summary>The loaded tickets, regenerated in order (with conversations and events), exactly as written.</summary>
    /// <returns>The tickets, oldest first.</returns>
    public IEnumerable<GeneratedTicket> Tickets() => _generator.Tickets(NumberOffset, EventIdOffset);

    /// <summary>A reproducible random stream for this extension.</summary>
    /// <param name="purpose">A name no other step uses (e.g. your table's name).</param>
    /// <param name="index">Which item (e.g. <see cref="GeneratedTicket.Index"/>).</param>
    /// <returns>The stream.</returns>
    public SeededRandom Random(string purpose, long index) => new(Options.Seed, purpose, index);
}
