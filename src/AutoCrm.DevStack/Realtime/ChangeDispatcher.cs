using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Turns committed changes into postgres_changes messages: matches bindings and filters, applies the role's column
/// privileges and row-level security the way Realtime's apply_rls does (PROTOCOLS §4.6 steps 1–4), and enqueues one
/// message per matching channel, in commit order. Everything queued at once is checked in one database round trip
/// (one statement pair per distinct (role, claims) per change, sent as a single NpgsqlBatch).
/// </summary>
internal sealed class ChangeDispatcher(RealtimeService service)
{
    private const int MaxChangesPerRound = 512;
    private static readonly long AccessTtlTicks = TimeSpan.FromSeconds(2).Ticks;

    private readonly Dictionary<(string Role, uint Relation), TableAccess> _access = [];

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

                try
                {
                    connection ??= await service.DispatchDataSource.OpenConnectionAsync(ct);
                    await DispatchAsync(changes, connection, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    RealtimeLog.DispatchFailed(service.Logger, ex);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
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
        }
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
            try
            {
                await RunChecksAsync([.. checks.Values], connection, ct);
            }
            catch (PostgresException)
            {
                // One failing policy must not hide the change from everyone else: retry one group at a time.
                foreach (var check in checks.Values)
                {
                    try
                    {
                        await RunChecksAsync([check], connection, ct);
                    }
                    catch (PostgresException ex)
                    {
                        check.VisibleKeys.Clear();
                        RealtimeLog.RlsCheckFailed(service.Logger, check.Token.Role, check.Relation.Table, ex);
                    }
                }
            }
        }

        foreach (var match in work.SelectMany(w => w.Matches))
        {
            if (match.Check is not null)
            {
                match.Visible = match.Check.VisibleKeys.Contains(match.Key!);
            }
        }
    }

    private static async Task RunChecksAsync(List<RlsCheck> checks, NpgsqlConnection connection, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var check in checks)
        {
            var relation = check.Relation;
            var set = new NpgsqlBatchCommand(
                "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)");
            set.Parameters.Add(new NpgsqlParameter { Value = check.Token.Role });
            set.Parameters.Add(new NpgsqlParameter { Value = check.Token.ClaimsJson });
            set.Parameters.Add(new NpgsqlParameter { Value = RealtimeJson.ReadString(check.Token.Claims["sub"]) ?? "" });
            batch.BatchCommands.Add(set);

            var pk = relation.PrimaryKey;
            var columns = string.Join(", ", pk.Select(i => Quote(relation.Columns[i].Name)));
            var output = string.Join(", ", pk.Select(i => Quote(relation.Columns[i].Name) + "::text"));
            var arrays = string.Join(", ", pk.Select((i, n) => $"${n + 1}::text[]::{relation.Columns[i].Type.SqlName}[]"));
            var select = new NpgsqlBatchCommand(
                $"select {output} from {Quote(relation.Schema)}.{Quote(relation.Table)} where ({columns}) in (select * from unnest({arrays}))");
            for (var n = 0; n < pk.Length; n++)
            {
                select.Parameters.Add(new NpgsqlParameter { Value = check.Keys.Select(k => k[n]).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            }

            batch.BatchCommands.Add(select);
        }

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var results = new List<HashSet<string>>(checks.Count);
        for (var i = 0; i < checks.Count; i++)
        {
            await reader.NextResultAsync(ct); // past set_config
            var visible = new HashSet<string>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                var values = new string?[reader.FieldCount];
                for (var c = 0; c < values.Length; c++)
                {
                    values[c] = reader.IsDBNull(c) ? null : reader.GetString(c);
                }

                visible.Add(RlsCheck.KeyOf(values));
            }

            results.Add(visible);
            await reader.NextResultAsync(ct);
        }

        for (var i = 0; i < checks.Count; i++)
        {
            checks[i].VisibleKeys = results[i];
        }
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
                    data[role] = json = BuildData(item.Change, _access[(role, item.Change.Relation.Oid)]);
                }

                var buffer = new ArrayBufferWriter<byte>(json.Length + 32);
                using (var writer = new Utf8JsonWriter(buffer, RealtimeJson.WriterOptions))
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("ids");
                    foreach (var id in match.Ids)
                    {
                        writer.WriteNumberValue(id);
                    }

                    writer.WriteEndArray();
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(json, skipInputValidation: true);
                    writer.WriteEndObject();
                }

                match.Channel.SendRaw("postgres_changes", buffer.WrittenSpan);
            }
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

    /// <summary>The <c>data</c> object of PROTOCOLS §4.6 for one role.</summary>
    internal static byte[] BuildData(RowChange change, TableAccess access)
    {
        var relation = change.Relation;
        var errors = Errors(relation, access);
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
                if (errors is null)
                {
                    foreach (var i in visible)
                    {
                        var value = change.NewValue(i);
                        if (value.Present)
                        {
                            writer.WritePropertyName(relation.Columns[i].Name);
                            PgTextToJson.Write(writer, value.Text, relation.Columns[i].Type);
                        }
                    }
                }

                writer.WriteEndObject();
            }

            if (change.Type is "UPDATE" or "DELETE")
            {
                writer.WriteStartObject("old_record");
                if (errors is null)
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
                            writer.WritePropertyName(relation.Columns[i].Name);
                            PgTextToJson.Write(writer, value.Text, relation.Columns[i].Type);
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

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

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
