using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// The row-level security half of the change dispatcher, as Realtime's apply_rls: what each role may see of each table
/// (column privileges, row-level security, bypass), and for every matched INSERT/UPDATE on a row-level-secured table whether
/// the subscriber's role and claims may select the changed row. Everything queued at once is checked in as few round trips
/// as practical (one call per table of a session-temporary function covering every (role, claims) group), split over a
/// few connections when there are many groups. A DELETE cannot be checked (the row is gone): it carries only the primary
/// key, and its filters only see that (<see cref="PendingChange"/>).
/// </summary>
internal sealed class RowSecurityCheck(RealtimeService service)
{
    /// <summary>Connections one round's RLS checks may use at once (one per core, at most 4).</summary>
    private static readonly int MaxRlsConnections = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Fewer (table, role, claims) groups than this per connection are not worth a second connection.</summary>
    private const int MinChecksPerConnection = 8;
    private static readonly long AccessTtlTicks = TimeSpan.FromSeconds(2).Ticks;

    private readonly Dictionary<(string Role, uint Relation), TableAccess> _access = [];
    private readonly Dictionary<NpgsqlConnection, HashSet<string>> _functions = [];
    private readonly List<NpgsqlConnection> _helpers = [];

    /// <summary>What a role may see of a table, as loaded by <see cref="LoadAccessAsync"/> for this round.</summary>
    public TableAccess Access(string role, uint relation) => _access[(role, relation)];

    /// <summary>Loads (or refreshes after a short time) what each matched role may see of each changed table.</summary>
    public async Task LoadAccessAsync(List<WorkItem> work, NpgsqlConnection connection, CancellationToken ct)
    {
        var now = service.TimeProvider.GetTimestamp();
        var needed = work
            .SelectMany(w => w.Matches.Select(m => (m.Token.Role, w.Change.Relation.Oid)))
            .Distinct()
            .Where(k => !_access.TryGetValue(k, out var a) || service.TimeProvider.GetElapsedTime(a.LoadedAt, now).Ticks > AccessTtlTicks)
            .ToList();
        if (needed.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection);
        foreach (var (role, relation) in needed)
        {
            var command = new NpgsqlBatchCommand("""
                select exists(select 1 from pg_roles where rolname = $1),
                       coalesce((select relrowsecurity from pg_class where oid = $2), false),
                       coalesce((select rolsuper or rolbypassrls from pg_roles where rolname = $1), false),
                       coalesce((select array_agg(a.attname::text)
                                 from pg_attribute a join pg_roles r on r.rolname = $1
                                 where a.attrelid = $2 and a.attnum > 0 and not a.attisdropped
                                   and has_column_privilege(r.oid, a.attrelid, a.attnum, 'SELECT')), '{}')
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = role });
            command.Parameters.Add(new NpgsqlParameter { Value = relation, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(ct);
        foreach (var key in needed)
        {
            await reader.ReadAsync(ct);
            _access[key] = new TableAccess(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), [.. reader.GetFieldValue<string[]>(3)], now);
            await reader.NextResultAsync(ct);
        }
    }

    /// <summary>Decides <see cref="ChannelMatch.Visible"/> for every match; channels whose check fails are told and closed.</summary>
    public async Task CheckAsync(List<WorkItem> work, NpgsqlConnection connection, CancellationToken ct)
    {
        // One check per (table, role, claims) for the whole round: "which of these primary keys can I see?".
        var checks = new Dictionary<(uint Relation, string Role, string Claims), RlsCheck>();
        foreach (var item in work)
        {
            var change = item.Change;
            var relation = change.Relation;
            foreach (var match in item.Matches)
            {
                var access = _access[(match.Token.Role, relation.Oid)];
                if (!access.RoleExists)
                {
                    continue;
                }

                if (change.Type == "DELETE" || !access.RowSecurity || ChangePayload.Errors(relation, access) is not null)
                {
                    match.Visible = true;
                    continue;
                }

                var key = (relation.Oid, match.Token.Role, match.Token.ClaimsJson);
                if (!checks.TryGetValue(key, out var check))
                {
                    checks[key] = check = new RlsCheck(relation, match.Token);
                }

                match.Key = check.Add(change);
                match.Check = check;
            }
        }

        if (checks.Count > 0)
        {
            await WaitUntilVisibleAsync(work.Where(w => w.Matches.Any(m => m.Check is not null)).Select(w => w.Change.Xid), connection, ct);
            try
            {
                await RunChecksInParallelAsync([.. checks.Values], connection, ct);
            }
            catch (PostgresException)
            {
                // One failing policy must not hide the change from everyone else: retry one group at a time.
                foreach (var check in checks.Values)
                {
                    try
                    {
                        await RunChecksAsync([check], connection, FunctionsOn(connection), ct);
                    }
                    catch (PostgresException ex)
                    {
                        // Still failing alone: its subscribers are told (system error, channel closed) below.
                        check.VisibleKeys.Clear();
                        check.Failed = true;
                        RealtimeLog.RlsCheckFailed(service.Logger, check.Token.Role, check.Relation.Table, ex);
                    }
                }
            }
        }

        foreach (var match in work.SelectMany(w => w.Matches))
        {
            if (match.Check is { Failed: true })
            {
                match.Channel.Connection.CloseWithError(match.Channel, ChangeDispatcher.DeliveryFailedMessage);
            }
            else if (match.Check is not null)
            {
                match.Visible = match.Check.VisibleKeys.Contains(match.Key!);
            }
        }
    }

    /// <summary>How long a decoded transaction may take to become visible to new snapshots before the round fails.</summary>
    private const int VisibilityTimeoutMs = 10_000;

    private const string WaitVisibleFunction = "autocrm_wait_visible_v1";

    /// <summary>
    /// Waits until every transaction of the round is visible to a new snapshot. The walsender decodes and sends a
    /// commit once its WAL record is flushed, but the committing backend leaves the proc array (and so becomes
    /// visible to other sessions' snapshots) only afterwards. An RLS check run in that window does not see the
    /// inserted or updated row and would silently withhold the change; on a loaded machine the window is long
    /// enough to hit (it made the RLS tests flaky). The wait is a pg_temp PL/pgSQL loop, one round trip.
    /// </summary>
    internal async Task WaitUntilVisibleAsync(IEnumerable<uint> xids, NpgsqlConnection connection, CancellationToken ct, int timeoutMs = VisibilityTimeoutMs)
    {
        var distinct = xids.Where(x => x != 0).Distinct().Select(x => (long)x).ToArray();
        if (distinct.Length == 0)
        {
            return;
        }

        var created = FunctionsOn(connection);
        if (!created.Contains(WaitVisibleFunction))
        {
            await using var create = new NpgsqlCommand($$"""
                create or replace function pg_temp.{{WaitVisibleFunction}}(xids bigint[], timeout_ms int) returns boolean
                language plpgsql volatile as $wait$
                declare
                  snap pg_snapshot;
                  top bigint;
                  deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_ms / 1000.0);
                begin
                  loop
                    -- A volatile function takes a new snapshot for each statement (read committed).
                    snap := pg_current_snapshot();
                    top := pg_snapshot_xmax(snap)::text::bigint;
                    if not exists (
                      select 1
                      from unnest(xids) as x(low),
                           lateral (select ((top >> 32) << 32) | low as full_xid) f
                      where not pg_visible_in_snapshot(
                        (case when f.full_xid >= top + 2147483648 then f.full_xid - 4294967296 else f.full_xid end)::text::xid8,
                        snap)) then
                      return true;
                    end if;
                    if clock_timestamp() >= deadline then
                      return false;
                    end if;
                    perform pg_sleep(0.001);
                  end loop;
                end
                $wait$
                """, connection);
            await create.ExecuteNonQueryAsync(ct);
            created.Add(WaitVisibleFunction);
        }

        await using var wait = new NpgsqlCommand($"select pg_temp.{WaitVisibleFunction}($1, $2)", connection);
        wait.Parameters.Add(new NpgsqlParameter { Value = distinct, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint });
        wait.Parameters.Add(new NpgsqlParameter { Value = timeoutMs });
        if (await wait.ExecuteScalarAsync(ct) is not true)
        {
            throw new TimeoutException($"committed transactions did not become visible within {timeoutMs} ms");
        }
    }

    /// <summary>
    /// Splits a round's checks over up to <see cref="MaxRlsConnections"/> connections run at once (each is one
    /// PostgreSQL backend, so the policies of different claim groups are evaluated on different cores).
    /// </summary>
    private async Task RunChecksInParallelAsync(List<RlsCheck> checks, NpgsqlConnection connection, CancellationToken ct)
    {
        var parts = Math.Min(MaxRlsConnections, checks.Count / MinChecksPerConnection);
        if (parts <= 1)
        {
            await RunChecksAsync(checks, connection, FunctionsOn(connection), ct);
            return;
        }

        while (_helpers.Count < parts - 1)
        {
            _helpers.Add(await service.DispatchDataSource.OpenConnectionAsync(ct));
        }

        var chunks = Enumerable.Range(0, parts).Select(_ => new List<RlsCheck>()).ToArray();
        for (var i = 0; i < checks.Count; i++)
        {
            chunks[i % parts].Add(checks[i]);
        }

        var tasks = new Task[parts];
        for (var p = 0; p < parts; p++)
        {
            var target = p == 0 ? connection : _helpers[p - 1];
            var chunk = chunks[p];
            var created = FunctionsOn(target);
            tasks[p] = Task.Run(() => RunChecksAsync(chunk, target, created, ct), ct);
        }

        await Task.WhenAll(tasks);
    }

    /// <summary>The pg_temp functions already created on a connection (entries are made before checks run in parallel).</summary>
    private HashSet<string> FunctionsOn(NpgsqlConnection connection)
    {
        if (!_functions.TryGetValue(connection, out var created))
        {
            // Connections closed after a failure are never reused: drop their entries.
            foreach (var stale in _functions.Keys.Where(c => c.FullState == System.Data.ConnectionState.Closed).ToList())
            {
                _functions.Remove(stale);
            }

            _functions[connection] = created = new HashSet<string>(StringComparer.Ordinal);
        }

        return created;
    }

    /// <summary>
    /// Runs every check of the round: one call per table of a session-temporary PL/pgSQL function that, for each
    /// (role, claims) group, sets the role and claims and selects the visible primary keys (Realtime's apply_rls
    /// does the same inside one function). One statement per table instead of two per group keeps the database
    /// work per change small when many subscribers have distinct claims.
    /// </summary>
    private static async Task RunChecksAsync(List<RlsCheck> checks, NpgsqlConnection connection, HashSet<string> created, CancellationToken ct)
    {
        var byRelation = checks.GroupBy(c => c.Relation).ToList();
        foreach (var group in byRelation)
        {
            var function = RlsFunction.For(group.Key);
            if (!created.Contains(function.Name))
            {
                await using var create = new NpgsqlCommand(function.CreateSql, connection);
                await create.ExecuteNonQueryAsync(ct);
                created.Add(function.Name);
            }
        }

        await using var batch = new NpgsqlBatch(connection);
        foreach (var group in byRelation)
        {
            var relation = group.Key;
            var members = group.ToList();
            var pk = relation.PrimaryKey;
            var groupIndexes = new List<int>();
            var keyColumns = pk.Select(_ => new List<string?>()).ToArray();
            for (var g = 0; g < members.Count; g++)
            {
                foreach (var key in members[g].Keys)
                {
                    groupIndexes.Add(g + 1);
                    for (var n = 0; n < pk.Length; n++)
                    {
                        keyColumns[n].Add(key[n]);
                    }
                }
            }

            var command = new NpgsqlBatchCommand(RlsFunction.For(relation).CallSql);
            command.Parameters.Add(TextArray(members.Select(m => m.Token.Role)));
            command.Parameters.Add(TextArray(members.Select(m => m.Token.ClaimsJson)));
            command.Parameters.Add(TextArray(members.Select(m => RealtimeJson.ReadString(m.Token.Claims["sub"]) ?? "")));
            command.Parameters.Add(new NpgsqlParameter { Value = groupIndexes.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer });
            foreach (var column in keyColumns)
            {
                command.Parameters.Add(TextArray(column));
            }

            batch.BatchCommands.Add(command);
        }

        var results = checks.ToDictionary(c => c, _ => new HashSet<string>(StringComparer.Ordinal));
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            foreach (var group in byRelation)
            {
                var members = group.ToList();
                while (await reader.ReadAsync(ct))
                {
                    results[members[reader.GetInt32(0) - 1]].Add(reader.GetString(1));
                }

                await reader.NextResultAsync(ct);
            }
        }

        foreach (var (check, visible) in results)
        {
            check.VisibleKeys = visible;
        }

        static NpgsqlParameter TextArray(IEnumerable<string?> values) =>
            new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text };
    }

    /// <summary>Closes the extra connections (after a failed round; they are reopened on demand).</summary>
    public async Task CloseHelpersAsync()
    {
        foreach (var helper in _helpers)
        {
            await helper.DisposeAsync();
        }

        _helpers.Clear();
    }
}

/// <summary>Which rows of one table one (role, claims) may select, for every change of the round.</summary>
internal sealed class RlsCheck(RelationInfo relation, RealtimeToken token)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public RelationInfo Relation { get; } = relation;

    public RealtimeToken Token { get; } = token;

    public List<string?[]> Keys { get; } = [];

    public HashSet<string> VisibleKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The check failed even when run alone: its subscribers cannot be served this round.</summary>
    public bool Failed { get; set; }

    public static string KeyOf(string?[] values) => string.Join('\u0001', values);

    public string Add(RowChange change)
    {
        var values = Relation.PrimaryKey.Select(i => change.NewValue(i).Text).ToArray();
        var key = KeyOf(values);
        if (_seen.Add(key))
        {
            Keys.Add(values);
        }

        return key;
    }
}
