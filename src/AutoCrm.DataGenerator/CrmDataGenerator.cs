using System.Collections.Concurrent;
using System.Diagnostics;
using AutoCrm.DataGenerator.Text;
using Npgsql;

namespace AutoCrm.DataGenerator;

/// <summary>
/// Generates a realistic, reproducible AutoCRM data set and bulk-loads it with binary <c>COPY</c>: admins, agents
/// (each in one to three queues), customers in companies (plan, region), queues with Zipf-distributed volume, and
/// tickets spread over several years with a status mix that follows their age, tags, metadata, ~3 messages each
/// (some internal notes) and the history events the triggers would have written.
/// </summary>
/// <remarks>
/// The load runs with <c>session_replication_role = replica</c> (user triggers and foreign-key checks off), so the
/// connection must be allowed to set it (a superuser such as the DevStack's <c>postgres</c>, or a role granted
/// <c>SET</c> on that parameter). Everything the triggers would derive is written explicitly; derived tables that
/// later migrations add are refreshed through <c>public.refresh_generated_data()</c> when it exists, and
/// <see cref="CrmDataOptions.Extensions"/> add rows for new tables. Load into a database with the migrations applied
/// and without this data set already in it; the demo seed may be there (numbers continue after its tickets).
/// </remarks>
public sealed class CrmDataGenerator
{
    private readonly TextFactory _text;

    /// <summary>A generator for <paramref name="options"/>.</summary>
    /// <param name="options">What to generate.</param>
    public CrmDataGenerator(CrmDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Data = new CrmDataSet(options);
        _text = new TextFactory(options.Seed);
    }

    /// <summary>The options.</summary>
    public CrmDataOptions Options { get; }

    /// <summary>The people and queues (available before and without loading).</summary>
    public CrmDataSet Data { get; }

    /// <summary>The made-up product names that appear in subjects, most frequent first: rank 0 is in about 1% of
    /// subjects, rank 4 000 in a handful per million (for search benchmarks that need a common and a rare term).</summary>
    public IReadOnlyList<string> ProductNames => _text.ProductNameList;

    /// <summary>The tickets, regenerated in order, exactly as <see cref="LoadAsync"/> writes them.</summary>
    /// <param name="numberOffset">The ticket numbers used before the load (<see cref="CrmDataSummary.NumberOffset"/>).</param>
    /// <param name="eventIdOffset">The event ids used before the load (<see cref="CrmDataSummary.EventIdOffset"/>).</param>
    /// <returns>The tickets, oldest first.</returns>
    public IEnumerable<GeneratedTicket> Tickets(long numberOffset = 0, long eventIdOffset = 0)
    {
        var factory = new TicketFactory(Options, Data, _text, numberOffset, eventIdOffset);
        for (var i = 0; i < Options.Tickets; i++)
        {
            yield return factory.Create(i);
        }
    }

    /// <summary>Generates ticket <paramref name="index"/> alone.</summary>
    /// <param name="index">0 to <see cref="CrmDataOptions.Tickets"/> − 1.</param>
    /// <param name="numberOffset">See <see cref="Tickets"/>.</param>
    /// <param name="eventIdOffset">See <see cref="Tickets"/>.</param>
    /// <returns>The ticket.</returns>
    public GeneratedTicket Ticket(int index, long numberOffset = 0, long eventIdOffset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Options.Tickets);
        return new TicketFactory(Options, Data, _text, numberOffset, eventIdOffset).Create(index);
    }

    /// <summary>Loads the data set into the database.</summary>
    /// <param name="connectionString">A connection string (or <c>postgresql://</c> URL) of a database with the migrations applied.</param>
    /// <param name="progress">Receives progress (from loader threads).</param>
    /// <param name="cancellationToken">Cancels the load; batches already committed stay.</param>
    /// <returns>Rows written and time taken.</returns>
    /// <exception cref="InvalidOperationException">The database already holds this data set, or the connection may not turn triggers off.</exception>
    public async Task<CrmDataSummary> LoadAsync(string connectionString, IProgress<CrmDataProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStringFrom(connectionString))
        {
            ApplicationName = "autocrm-data-generator",
            Timezone = "UTC",
            CommandTimeout = 0,
            MaxPoolSize = Options.Parallelism + 2,
        };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var total = Stopwatch.StartNew();
        var rows = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);

        long numberOffset;
        long eventIdOffset;
        await using (var connection = await OpenReplicaAsync(dataSource, cancellationToken))
        {
            await EnsureEmptyAsync(connection, cancellationToken);
            numberOffset = await ScalarAsync<long>(connection, "select coalesce(max(number), 0) from public.tickets", cancellationToken);
            eventIdOffset = await ScalarAsync<long>(connection, "select coalesce(max(id), 0) from public.ticket_events", cancellationToken);
            var hash = await ScalarAsync<string>(connection, "select extensions.crypt($1, extensions.gen_salt('bf', 10))", cancellationToken, Options.Password);
            progress?.Report(new CrmDataProgress("users", 0, 1));
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            var users = Data.Users.ToList();
            rows["auth.users"] = CopyWriters.Users(connection, users, hash);
            CopyWriters.Queues(connection, Data, Options.End.AddDays(-Options.Years * 365.25 - 60));
            rows["public.queues"] = Data.Queues.Count;
            rows["public.queue_members"] = Data.Queues.Sum(q => q.AgentIds.Count);
            await tx.CommitAsync(cancellationToken);
            progress?.Report(new CrmDataProgress("users", 1, 1));
        }

        await LoadTicketsAsync(dataSource, numberOffset, eventIdOffset, rows, progress, cancellationToken);

        await using (var connection = await OpenReplicaAsync(dataSource, cancellationToken))
        {
            await ExecuteAsync(connection, """
                select setval(pg_get_serial_sequence('public.tickets', 'number'), greatest((select max(number) from public.tickets), 1));
                select setval(pg_get_serial_sequence('public.ticket_events', 'id'), greatest((select max(id) from public.ticket_events), 1));
                """, cancellationToken);
            if (await ScalarAsync<bool>(connection, "select to_regprocedure('public.refresh_generated_data()') is not null", cancellationToken))
            {
                // The refresh joins the loaded tables (the metric facts' backfill above all): plan it from statistics of
                // what was loaded, not from whatever autovacuum happened to gather meanwhile. Without this a busy
                // machine could leave the tables unanalyzed and the backfill ran for many minutes on a nested-loop plan.
                await ExecuteAsync(connection, "analyze auth.users, public.profiles, public.queues, public.queue_members, public.tickets, public.ticket_messages, public.ticket_events", cancellationToken);
                progress?.Report(new CrmDataProgress("refresh", 0, 1));
                await ExecuteAsync(connection, "select public.refresh_generated_data()", cancellationToken);
            }

            var context = new CrmDataContext(this, connection, numberOffset, eventIdOffset);
            foreach (var extension in Options.Extensions)
            {
                progress?.Report(new CrmDataProgress(extension.Name, 0, 1));
                await extension.LoadAsync(context, cancellationToken);
                progress?.Report(new CrmDataProgress(extension.Name, 1, 1));
            }
        }

        var loadTime = total.Elapsed;
        progress?.Report(new CrmDataProgress(Options.Vacuum ? "vacuum" : "analyze", 0, 1));
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // The search documents, where the schema has them (the triggers wrote them during the load): search decides
            // between its two plans from their statistics, which autovacuum would otherwise gather at an unknown time.
            // The metric facts and ratings likewise (the reports read them through index-only scans, which need the
            // visibility map a vacuum writes).
            var searchDocuments = await ScalarAsync<string>(connection, """
                select coalesce(string_agg(', ' || t::regclass::text, ''), '')
                  from unnest(array[to_regclass('autocrm_private.ticket_search_documents'),
                                    to_regclass('autocrm_private.ticket_staff_search_documents'),
                                    to_regclass('public.ticket_metric_facts'), to_regclass('public.ticket_ratings')]) t
                 where t is not null
                """, cancellationToken);
            var tables = "auth.users, auth.identities, public.profiles, public.queues, public.queue_members, public.tickets, public.ticket_messages, public.ticket_events" + searchDocuments;
            await ExecuteAsync(connection, Options.Vacuum ? $"vacuum (analyze) {tables}" : $"analyze {tables}", cancellationToken);
        }

        progress?.Report(new CrmDataProgress(Options.Vacuum ? "vacuum" : "analyze", 1, 1));
        return new CrmDataSummary
        {
            Rows = new Dictionary<string, long>(rows, StringComparer.Ordinal),
            NumberOffset = numberOffset,
            EventIdOffset = eventIdOffset,
            LoadTime = loadTime,
            AnalyzeTime = total.Elapsed - loadTime,
        };
    }

    private async Task LoadTicketsAsync(NpgsqlDataSource dataSource, long numberOffset, long eventIdOffset, ConcurrentDictionary<string, long> rows, IProgress<CrmDataProgress>? progress, CancellationToken cancellationToken)
    {
        var batches = (Options.Tickets + Options.BatchSize - 1) / Options.BatchSize;
        var next = -1;
        long done = 0;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        progress?.Report(new CrmDataProgress("tickets", 0, Options.Tickets));

        async Task WorkerAsync()
        {
            var factory = new TicketFactory(Options, Data, _text, numberOffset, eventIdOffset);
            await using var connection = await OpenReplicaAsync(dataSource, failed.Token);
            var tickets = new List<GeneratedTicket>(Options.BatchSize);
            try
            {
                for (var batch = Interlocked.Increment(ref next); batch < batches; batch = Interlocked.Increment(ref next))
                {
                    failed.Token.ThrowIfCancellationRequested();
                    tickets.Clear();
                    var to = Math.Min(Options.Tickets, (batch + 1) * Options.BatchSize);
                    for (var i = batch * Options.BatchSize; i < to; i++)
                    {
                        tickets.Add(factory.Create(i));
                    }

                    await using var tx = await connection.BeginTransactionAsync(failed.Token);
                    var (t, m, e) = CopyWriters.Tickets(connection, tickets);
                    await tx.CommitAsync(failed.Token);
                    rows.AddOrUpdate("public.tickets", t, (_, v) => v + t);
                    rows.AddOrUpdate("public.ticket_messages", m, (_, v) => v + m);
                    rows.AddOrUpdate("public.ticket_events", e, (_, v) => v + e);
                    progress?.Report(new CrmDataProgress("tickets", Interlocked.Add(ref done, t), Options.Tickets));
                }
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }

        var workers = Enumerable.Range(0, Math.Min(Options.Parallelism, Math.Max(1, batches)))
            .Select(_ => Task.Factory.StartNew(WorkerAsync, failed.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // One worker failed and cancelled the others: report the failure, not the cancellations.
            throw workers.Select(w => w.Exception?.InnerException).First(e => e is not null and not OperationCanceledException)!;
        }
    }

    private async Task EnsureEmptyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "select exists (select 1 from auth.users where id = any($1)) or exists (select 1 from public.queues where slug = any($2))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Data.Users.Take(50).Select(u => u.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = Data.Queues.Select(q => q.Slug).ToArray() });
        if (await command.ExecuteScalarAsync(cancellationToken) is true)
        {
            throw new InvalidOperationException(
                $"The database already holds generated data (users of seed {Options.Seed} or queues with the generated slugs). Load into a fresh database.");
        }
    }

    private static async Task<NpgsqlConnection> OpenReplicaAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, "set session_replication_role = replica", cancellationToken);
            return connection;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                "The generator loads with user triggers off (session_replication_role = replica); connect as a superuser or a role granted SET on that parameter.", ex);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Accepts a keyword connection string or a <c>postgresql://user:password@host:port/db</c> URL.</summary>
    internal static string ConnectionStringFrom(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        var uri = new Uri(value);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        return builder.ConnectionString;
    }
}
