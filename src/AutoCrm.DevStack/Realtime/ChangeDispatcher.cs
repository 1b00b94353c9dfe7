using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Turns committed changes into postgres_changes messages: matches bindings and filters, applies the role's column
/// privileges and row-level security the way Realtime's apply_rls does (docs/protocols.md#postgres-changes, steps 1–4), and enqueues one
/// message per matching channel, in commit order. Everything queued at once is checked in one database round trip
/// (one statement pair per distinct (role, claims) per change, sent as a single NpgsqlBatch).
/// </summary>
internal sealed class ChangeDispatcher(RealtimeService service)
{
    private const int MaxChangesPerRound = 512;

    /// <summary>How often a round whose dispatch fails is tried (on a fresh connection) before its subscribers are told.</summary>
    internal const int MaxAttemptsPerRound = 3;

    /// <summary>The system error a subscriber gets when changes for it could not be delivered (its channel is closed).</summary>
    internal const string DeliveryFailedMessage = "Realtime could not deliver database changes to this channel; rejoin to resync";

    /// <summary>Connections one round's RLS checks may use at once (one per core, at most 4).</summary>
    private static readonly int MaxRlsConnections = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Fewer (table, role, claims) groups than this per connection are not worth a second connection.</summary>
    private const int MinChecksPerConnection = 8;
    private static readonly long AccessTtlTicks = TimeSpan.FromSeconds(2).Ticks;

    private readonly Dictionary<(string Role, uint Relation), TableAccess> _access = [];
    private readonly Dictionary<NpgsqlConnection, HashSet<string>> _functions = [];
    private readonly List<NpgsqlConnection> _helpers = [];

    public async Task RunAsync(ChannelReader<List<RowChange>> transactions, CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (await transactions.WaitToReadAsync(ct))
            {
                var changes = new List<RowChange>();
                while (changes.Count < MaxChangesPerRound && transactions.TryRead(out var transaction))
                {
                    changes.AddRange(transaction);
                }

                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        connection ??= await service.DispatchDataSource.OpenConnectionAsync(ct);
                        service.DispatchFault?.Invoke(changes, attempt);
                        await DispatchAsync(changes, connection, ct);
                        break;
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        // Whatever failed (a cancellation that is not ours included), the loop must go on serving:
                        // retry the round on a fresh connection (nothing of it was delivered yet), and when it keeps
                        // failing tell every subscriber it concerned instead of losing its changes silently.
                        RealtimeLog.DispatchFailed(service.Logger, attempt, MaxAttemptsPerRound, ex);
                        if (connection is not null)
                        {
                            await connection.DisposeAsync();
                            connection = null;
                        }

                        await CloseHelpersAsync();
                        if (attempt >= MaxAttemptsPerRound)
                        {
                            FailSubscribers(changes);
                            break;
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }

            await CloseHelpersAsync();
        }
    }

    /// <summary>
    /// A round that could not be dispatched: every channel that has a binding matching one of its changes gets a
    /// system error and is closed, so its client knows it missed changes and rejoins (never a silent gap).
    /// </summary>
    private void FailSubscribers(List<RowChange> changes)
    {
        var bindings = service.Hub.Bindings;
        var channels = new HashSet<RealtimeChannel>();
        foreach (var change in changes)
        {
            foreach (var match in FindMatches(change, bindings))
            {
                channels.Add(match.Channel);
            }
        }

        foreach (var channel in channels)
        {
            channel.Connection.CloseWithError(channel, DeliveryFailedMessage);
        }
    }

    private async Task CloseHelpersAsync()
    {
        foreach (var helper in _helpers)
        {
            await helper.DisposeAsync();
        }

        _helpers.Clear();
    }

    internal async Task DispatchAsync(List<RowChange> changes, NpgsqlConnection connection, CancellationToken ct)
    {
        var bindings = service.Hub.Bindings;
        if (bindings.Length == 0)
        {
            return;
        }

        var work = new List<WorkItem>();
        foreach (var change in changes)
        {
            var matches = FindMatches(change, bindings);
            if (matches.Count > 0)
            {
                work.Add(new WorkItem(change, matches));
            }
        }

        if (work.Count == 0)
        {
            return;
        }

        await LoadAccessAsync(work, connection, ct);
        await CheckRowSecurityAsync(work, connection, ct);
        Deliver(work);
    }

    private static List<Match> FindMatches(RowChange change, PostgresBinding[] bindings)
    {
        var matches = new List<Match>();
        var relation = change.Relation;
        var row = change.FilterRow;
        foreach (var binding in bindings)
        {
            if (binding.Channel.IsClosed
                || !binding.MatchesEvent(change.Type)
                || binding.Schema != relation.Schema
                || (binding.Table is not null && binding.Table != relation.Table))
            {
                continue;
            }

            var pass = true;
            foreach (var filter in binding.Filters)
            {
                var index = relation.IndexOf(filter.Column);
                if (index < 0 || index >= row.Length || !row[index].Present
                    || !filter.Matches(row[index].Text, relation.Columns[index].Type.Name))
                {
                    pass = false;
                    break;
                }
            }

            if (!pass)
            {
                continue;
            }

            var existing = matches.FindIndex(m => m.Channel == binding.Channel);
            if (existing >= 0)
            {
                matches[existing].Ids.Add(binding.Id);
            }
            else
            {
                matches.Add(new Match(binding.Channel, binding.Channel.Token, [binding.Id]));
            }
        }

        return matches;
    }

    private async Task LoadAccessAsync(List<WorkItem> work, NpgsqlConnection connection, CancellationToken ct)
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
            _access[key] = new TableAccess(reader.GetBoolean(0), reader.GetBoolean(1), [.. reader.GetFieldValue<string[]>(2)], now);
            await reader.NextResultAsync(ct);
        }
    }

    private async Task CheckRowSecurityAsync(List<WorkItem> work, NpgsqlConnection connection, CancellationToken ct)
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

                if (change.Type == "DELETE" || !access.RowSecurity || Errors(relation, access) is not null)
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
                match.Channel.Connection.CloseWithError(match.Channel, DeliveryFailedMessage);
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

    private void Deliver(List<WorkItem> work)
    {
        foreach (var item in work)
        {
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var match in item.Matches)
            {
                if (!match.Visible || match.Channel.IsClosed)
                {
                    continue;
                }

                var role = match.Token.Role;
                if (!data.TryGetValue(role, out var json))
                {
                    data[role] = json = BuildData(item.Change, _access[(role, item.Change.Relation.Oid)], service.Options.MaxRecordBytes);
                }

                var connection = match.Channel.Connection;
                connection.Send(connection.Serializer.EncodeChange(match.Channel.JoinRef, match.Channel.Topic, match.Ids, json));
            }
        }
    }

    /// <summary>Writes <c>"name": value</c>; in a too-large record only values of at most 64 JSON bytes are kept.</summary>
    private static void WriteValue(Utf8JsonWriter writer, RelationColumn column, string? text, bool tooLarge)
    {
        if (!tooLarge)
        {
            writer.WritePropertyName(column.Name);
            PgTextToJson.Write(writer, text, column.Type);
            return;
        }

        var value = new ArrayBufferWriter<byte>(128);
        using (var valueWriter = new Utf8JsonWriter(value, RealtimeJson.WriterOptions))
        {
            PgTextToJson.Write(valueWriter, text, column.Type);
        }

        if (value.WrittenCount <= TooLargeValueBytes)
        {
            writer.WritePropertyName(column.Name);
            writer.WriteRawValue(value.WrittenSpan, skipInputValidation: true);
        }
    }

    private static string? Errors(RelationInfo relation, TableAccess access)
    {
        if (relation.PrimaryKey.Length == 0)
        {
            return "Error 400: Bad Request, no primary key";
        }

        return relation.PrimaryKey.All(i => access.Columns.Contains(relation.Columns[i].Name)) ? null : "Error 401: Unauthorized";
    }

    /// <summary>Values of at most this many JSON bytes survive in a record over the size limit (Realtime's apply_rls).</summary>
    internal const int TooLargeValueBytes = 64;

    /// <summary>
    /// The size Realtime compares with <c>max_record_bytes</c>: its wal2json record as text, i.e. every column's name,
    /// type and value for the new row and the old identity. Estimated from the same parts.
    /// </summary>
    internal static long RecordBytes(RowChange change)
    {
        long bytes = 128 + change.Relation.Schema.Length + change.Relation.Table.Length;
        foreach (var row in new[] { change.New, change.Old })
        {
            if (row is null)
            {
                continue;
            }

            for (var i = 0; i < row.Length && i < change.Relation.Columns.Length; i++)
            {
                var column = change.Relation.Columns[i];
                bytes += 40 + column.Name.Length + column.Type.Name.Length + (row[i].Text is { } text ? System.Text.Encoding.UTF8.GetByteCount(text) : 4);
            }
        }

        return bytes;
    }

    /// <summary>The <c>data</c> object of a postgres_changes message (docs/protocols.md#postgres-changes) for one role.</summary>
    internal static byte[] BuildData(RowChange change, TableAccess access, int maxRecordBytes = int.MaxValue)
    {
        var relation = change.Relation;
        var tooLarge = RecordBytes(change) > maxRecordBytes;
        var errors = Errors(relation, access) ?? (tooLarge ? "Error 413: Payload Too Large" : null);
        var withValues = Errors(relation, access) is null;
        var visible = Enumerable.Range(0, relation.Columns.Length).Where(i => access.Columns.Contains(relation.Columns[i].Name)).ToArray();
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, RealtimeJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", relation.Schema);
            writer.WriteString("table", relation.Table);
            writer.WriteString("commit_timestamp", change.CommitTimestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("type", change.Type);
            writer.WriteStartArray("columns");
            foreach (var i in visible)
            {
                writer.WriteStartObject();
                writer.WriteString("name", relation.Columns[i].Name);
                writer.WriteString("type", relation.Columns[i].Type.Name);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();

            if (change.Type is "INSERT" or "UPDATE")
            {
                writer.WriteStartObject("record");
                if (withValues)
                {
                    foreach (var i in visible)
                    {
                        var value = change.NewValue(i);
                        if (value.Present)
                        {
                            WriteValue(writer, relation.Columns[i], value.Text, tooLarge);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            if (change.Type is "UPDATE" or "DELETE")
            {
                writer.WriteStartObject("old_record");
                if (withValues)
                {
                    // DELETE on an RLS table: primary key only (the row can no longer be checked).
                    var columns = change.Type == "DELETE" && access.RowSecurity ? relation.PrimaryKey : visible;
                    var source = change.Old;
                    if (source is null)
                    {
                        // Default replica identity: the identity is the unchanged primary key of the new row.
                        columns = relation.PrimaryKey;
                    }

                    foreach (var i in columns)
                    {
                        var value = source is null ? change.NewValue(i) : source[i];
                        if (value.Present && access.Columns.Contains(relation.Columns[i].Name))
                        {
                            WriteValue(writer, relation.Columns[i], value.Text, tooLarge);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            writer.WritePropertyName("errors");
            if (errors is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStartArray();
                writer.WriteStringValue(errors);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>What a role may see of a table: whether it exists, RLS on the table, selectable columns.</summary>
    internal sealed record TableAccess(bool RoleExists, bool RowSecurity, HashSet<string> Columns, long LoadedAt);

    private sealed class WorkItem(RowChange change, List<Match> matches)
    {
        public RowChange Change { get; } = change;

        public List<Match> Matches { get; } = matches;
    }

    private sealed class Match(RealtimeChannel channel, RealtimeToken token, List<int> ids)
    {
        public RealtimeChannel Channel { get; } = channel;

        /// <summary>The token at match time: the RLS check and the delivery use the same claims.</summary>
        public RealtimeToken Token { get; } = token;

        public List<int> Ids { get; } = ids;

        public RlsCheck? Check { get; set; }

        /// <summary>The changed row's primary key, as looked up in <see cref="RlsCheck.VisibleKeys"/>.</summary>
        public string? Key { get; set; }

        public bool Visible { get; set; }
    }

    /// <summary>Which rows of one table one (role, claims) may select, for every change of the round.</summary>
    private sealed class RlsCheck(RelationInfo relation, RealtimeToken token)
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
}
