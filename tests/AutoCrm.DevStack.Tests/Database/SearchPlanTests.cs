using AutoCrm.DataGenerator;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>A migrated database with 100,000 generated tickets (about 326,000 messages), shared by the plan tests.</summary>
public sealed class SearchPlanDatabase(SharedCluster shared) : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = string.Empty;

    public CrmDataGenerator Generator { get; } = new(new CrmDataOptions { Tickets = 100_000, Parallelism = 2 });

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await shared.CreateMigratedDatabaseAsync("searchplan");
        await Generator.LoadAsync(ConnectionString);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Pins the plans of <c>search_tickets</c> on 100,000 tickets, with row-level security on, as the caller's role: every
/// statement it runs (the nested ones inside its functions included, through <c>auto_explain</c>) reads the search
/// documents through their indexes and never scans a table. No timing is asserted: the shapes are what keep a search
/// bounded at 1,000,000 tickets (bench/ measures the times).
/// </summary>
public sealed class SearchPlanTests(SearchPlanDatabase database) : IClassFixture<SearchPlanDatabase>
{
    // "printer" is in about 2 % of the generated tickets (a few thousand documents: the rare-word shape), "login" in
    // about 40 % (the frequent-word shape).
    private const string RareWord = "printer";
    private const string FrequentWord = "login";

    private static readonly string[] ScannedTables = ["tickets", "ticket_messages", "ticket_search_documents", "ticket_staff_search_documents"];

    private GeneratedUser Agent => database.Generator.Data.Agents[0];

    private GeneratedUser Customer => database.Generator.Data.Customers[0];

    [Fact]
    public async Task A_rare_word_collects_its_matches_through_the_GIN_indexes()
    {
        foreach (var user in new[] { Agent, Customer })
        {
            var plans = await PlansAsync(user, $"select id, rank, snippet from public.search_tickets('{RareWord}') order by rank desc limit 20");
            var candidates = CandidatePlan(plans);
            Assert.Contains("Bitmap Index Scan on ticket_search_documents_document_idx", candidates, StringComparison.Ordinal);
            if (user.Role == GeneratedRole.Agent)
            {
                Assert.Contains("Bitmap Index Scan on ticket_staff_search_documents_document_idx", candidates, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain("ticket_staff_search_documents", candidates, StringComparison.Ordinal);
            }

            AssertNoTableScan(plans);
        }
    }

    [Fact]
    public async Task A_frequent_word_walks_the_newest_visible_tickets_and_reads_documents_by_key()
    {
        var agentPlans = await PlansAsync(Agent, $"select id, rank, snippet from public.search_tickets('{FrequentWord}') order by rank desc limit 20");
        var agentCandidates = CandidatePlan(agentPlans);
        Assert.Contains("Index Scan Backward using tickets_created_at_id_idx on tickets", agentCandidates, StringComparison.Ordinal);
        Assert.Contains("Index Scan using ticket_search_documents_pkey", agentCandidates, StringComparison.Ordinal);
        Assert.DoesNotContain("ticket_search_documents_document_idx", agentCandidates, StringComparison.Ordinal);
        AssertNoTableScan(agentPlans);

        // The word is among the most common ones of the analyzed documents, so the planner's estimate decides: no
        // probe statement reads the documents to count its matches.
        Assert.DoesNotContain(agentPlans, p => p.Contains("limit c_frequent", StringComparison.Ordinal));

        var customerPlans = await PlansAsync(Customer, $"select id, rank, snippet from public.search_tickets('{FrequentWord}') order by rank desc limit 20");
        var customerCandidates = CandidatePlan(customerPlans);
        // A customer's walk reads their own tickets by a requester index (which one is the planner's choice), never the whole history.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(customerCandidates, @"(using|on) tickets_requester_\w+_idx"), customerCandidates);
        Assert.DoesNotContain("ticket_search_documents_document_idx", customerCandidates, StringComparison.Ordinal);
        AssertNoTableScan(customerPlans);
    }

    [Fact]
    public async Task Filters_without_text_walk_an_index_of_tickets()
    {
        foreach (var filters in new[] { "{}", """{"status":["open"]}""", """{"assignee":["me"]}""", """{"tag":["billing"],"priority":["urgent"]}""" })
        {
            var plans = await PlansAsync(Agent, $"select id from public.search_tickets('', '{filters}') order by created_at desc limit 50");
            var candidates = CandidatePlan(plans);
            Assert.DoesNotContain("ticket_search_documents_document_idx", candidates, StringComparison.Ordinal);
            Assert.DoesNotContain("Scan on ticket_search_documents", candidates, StringComparison.Ordinal);
            AssertNoTableScan(plans);
        }
    }

    [Fact]
    public async Task Snippets_are_made_for_the_rows_returned_only()
    {
        var plans = await PlansAsync(Agent, $"select id, snippet from public.search_tickets('{FrequentWord}') order by rank desc limit 7");
        Assert.Equal(7, plans.Count(p => p.Contains("from public.ticket_messages y", StringComparison.Ordinal)));
        var plans2 = await PlansAsync(Agent, $"select id, rank from public.search_tickets('{FrequentWord}') order by rank desc limit 7");
        Assert.DoesNotContain(plans2, p => p.Contains("from public.ticket_messages y", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ticket_numbers_and_requester_names_are_found_through_indexes()
    {
        var customer = database.Generator.Data.Customers[3];
        var plans = await PlansAsync(Agent, $"select id from public.search_tickets('#1234 {customer.DisplayName.Replace("'", "''", StringComparison.Ordinal)}')");
        Assert.Contains(plans, p => p.Contains("Index Scan using tickets_number_key on tickets", StringComparison.Ordinal));
        Assert.Contains(plans, p => p.Contains("Bitmap Index Scan on profiles_display_name_trgm_idx", StringComparison.Ordinal));
        AssertNoTableScan(plans);
    }

    /// <summary>The plan of the candidate statement, without its query text (one line: the statement is assembled on one).</summary>
    private static string CandidatePlan(IReadOnlyList<string> plans) =>
        string.Join('\n', Assert.Single(plans, p => p.Contains("with candidates as materialized", StringComparison.Ordinal))
            .Split('\n').Where(line => !line.StartsWith("Query Text:", StringComparison.Ordinal)));

    private static void AssertNoTableScan(IReadOnlyList<string> plans)
    {
        foreach (var plan in plans)
        {
            foreach (var table in ScannedTables)
            {
                Assert.False(plan.Contains($"Seq Scan on {table} ", StringComparison.Ordinal) && !IsBoundedFrequencyProbe(plan, table),
                    $"a sequential scan of {table}:\n{plan}");
            }
        }
    }

    /// <summary>
    /// The frequency probe (<c>select 1 from … where document @@ query limit c_frequent</c>) may run as a sequential
    /// scan directly under its Limit: the planner takes that plan only when the statistics say the word is in a large
    /// share of the documents, and then it stops after c_frequent matches (for "login", about 12,000 rows read). Which
    /// plan wins flips with the search tables' page count after the load (dead tuples left by the triggers), so this
    /// statement alone may have either; at 10^6 tickets it is the GIN index (bench/README.md). Any other sequential
    /// scan, or this one without the Limit right above it, still fails the test.
    /// </summary>
    private static bool IsBoundedFrequencyProbe(string plan, string table) =>
        plan.Contains("limit c_frequent", StringComparison.Ordinal)
        && System.Text.RegularExpressions.Regex.IsMatch(plan, $@"->  Limit [^\n]*\n\s*->  Seq Scan on {table} ");

    /// <summary>Runs a statement as the user (role authenticated with the user's claims, as the REST layer does) and
    /// returns the plan of every statement it executed, nested ones included.</summary>
    private async Task<IReadOnlyList<string>> PlansAsync(GeneratedUser user, string sql)
    {
        var ct = TestContext.Current.CancellationToken;
        var plans = new List<string>();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        connection.Notice += (_, e) =>
        {
            if (e.Notice.MessageText.Contains("plan:", StringComparison.Ordinal))
            {
                lock (plans)
                {
                    plans.Add(e.Notice.MessageText);
                }
            }
        };
        await connection.OpenAsync(ct);
        await ExecuteAsync(connection, """
            load 'auto_explain';
            set auto_explain.log_min_duration = 0;
            set auto_explain.log_nested_statements = on;
            set auto_explain.log_level = notice;
            """, ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var act = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, transaction))
        {
            act.Parameters.Add(new NpgsqlParameter { Value = $$"""{"sub":"{{user.Id}}","role":"authenticated"}""" });
            await act.ExecuteNonQueryAsync(ct);
        }

        lock (plans)
        {
            plans.Clear();
        }

        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
            }
        }

        await transaction.RollbackAsync(ct);
        lock (plans)
        {
            Assert.NotEmpty(plans);
            return [.. plans];
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
