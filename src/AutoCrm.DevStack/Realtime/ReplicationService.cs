using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Streams the <c>supabase_realtime</c> publication over logical replication (pgoutput, one temporary slot per
/// server, gone when the connection closes) and hands committed transactions, in commit order, to the dispatcher.
/// </summary>
internal sealed class ReplicationService(RealtimeService service) : BackgroundService
{
    private readonly Channel<List<RowChange>> _transactions = Channel.CreateBounded<List<RowChange>>(
        new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Dictionary<uint, RelationInfo> _relations = [];
    private readonly Dictionary<uint, PgTypeInfo> _types = [];

    /// <summary>The slot of the current stream (for tests and diagnostics).</summary>
    public string? SlotName { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = new ChangeDispatcher(service);
        var dispatch = Task.Run(() => dispatcher.RunAsync(_transactions.Reader, stoppingToken), CancellationToken.None);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await StreamAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    service.ReplicationFailed(ex.Message);
                    RealtimeLog.ReplicationFailed(service.Logger, ex);
                    await Task.Delay(TimeSpan.FromSeconds(1), service.TimeProvider, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            _transactions.Writer.TryComplete();
            await dispatch;
        }
    }

    private async Task StreamAsync(CancellationToken ct)
    {
        await EnsurePublicationAsync(ct);
        var builder = new NpgsqlConnectionStringBuilder(service.Options.AdminConnectionString)
        {
            ApplicationName = "autocrm-realtime-replication",
            Timezone = "UTC",
            Options = "-c DateStyle=ISO",
        };
        await using var connection = new LogicalReplicationConnection(builder.ConnectionString);
        await connection.Open(ct);
        var slotName = "autocrm_realtime_" + Guid.NewGuid().ToString("N")[..16];
        var slot = await connection.CreatePgOutputReplicationSlot(
            slotName, temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: ct);
        SlotName = slotName;
        _relations.Clear();
        service.ReplicationStarted();
        RealtimeLog.ReplicationStarted(service.Logger, slotName);

        List<RowChange>? current = null;
        var commitTimestamp = DateTime.UtcNow;
        uint xid = 0;
        var options = new PgOutputReplicationOptions(service.Options.PublicationName, PgOutputProtocolVersion.V1);
        await foreach (var message in connection.StartReplication(slot, options, ct))
        {
            switch (message)
            {
                case BeginMessage begin:
                    current = [];
                    commitTimestamp = begin.TransactionCommitTimestamp;
                    xid = begin.TransactionXid;
                    break;
                case RelationMessage relation:
                    await AddRelationAsync(relation, ct);
                    break;
                case InsertMessage insert:
                    current?.Add(new RowChange(_relations[insert.Relation.RelationId], "INSERT", await ReadAsync(insert.NewRow, ct), null, commitTimestamp) { Xid = xid });
                    break;
                case FullUpdateMessage full:
                    {
                        var old = await ReadAsync(full.OldRow, ct);
                        current?.Add(new RowChange(_relations[full.Relation.RelationId], "UPDATE", await ReadAsync(full.NewRow, ct), old, commitTimestamp) { Xid = xid });
                        break;
                    }

                case IndexUpdateMessage index:
                    {
                        var old = await ReadAsync(index.Key, ct, keyOnly: true);
                        current?.Add(new RowChange(_relations[index.Relation.RelationId], "UPDATE", await ReadAsync(index.NewRow, ct), old, commitTimestamp) { Xid = xid });
                        break;
                    }

                case UpdateMessage update:
                    current?.Add(new RowChange(_relations[update.Relation.RelationId], "UPDATE", await ReadAsync(update.NewRow, ct), null, commitTimestamp) { Xid = xid });
                    break;
                case FullDeleteMessage fullDelete:
                    current?.Add(new RowChange(_relations[fullDelete.Relation.RelationId], "DELETE", null, await ReadAsync(fullDelete.OldRow, ct), commitTimestamp) { Xid = xid });
                    break;
                case KeyDeleteMessage keyDelete:
                    current?.Add(new RowChange(_relations[keyDelete.Relation.RelationId], "DELETE", null, await ReadAsync(keyDelete.Key, ct, keyOnly: true), commitTimestamp) { Xid = xid });
                    break;
                case CommitMessage commit:
                    if (current is { Count: > 0 })
                    {
                        var stamped = commit.TransactionCommitTimestamp;
                        await _transactions.Writer.WriteAsync(
                            stamped == commitTimestamp ? current : [.. current.Select(c => c with { CommitTimestamp = stamped })], ct);
                    }

                    current = null;
                    connection.SetReplicationStatus(commit.TransactionEndLsn);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task EnsurePublicationAsync(CancellationToken ct)
    {
        await using var command = service.DataSource.CreateCommand(
            "select exists(select 1 from pg_publication where pubname = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = service.Options.PublicationName });
        if (await command.ExecuteScalarAsync(ct) is not true)
        {
            throw new InvalidOperationException($"publication \"{service.Options.PublicationName}\" does not exist (yet)");
        }
    }

    private static async Task<RowValue[]> ReadAsync(ReplicationTuple tuple, CancellationToken ct, bool keyOnly = false)
    {
        var values = new RowValue[tuple.NumColumns];
        var i = 0;
        await foreach (var value in tuple)
        {
            values[i++] = value.Kind switch
            {
                TupleDataKind.Null => new RowValue(null, !keyOnly),
                TupleDataKind.TextValue => new RowValue(await value.Get<string>(ct), true),
                _ => new RowValue(null, false),
            };
        }

        return values;
    }

    private async Task AddRelationAsync(RelationMessage relation, CancellationToken ct)
    {
        // Npgsql reuses message objects: copy what is needed before awaiting.
        var oid = relation.RelationId;
        var schema = relation.Namespace;
        var table = relation.RelationName;
        var columns = relation.Columns.Select(c => (c.ColumnName, c.DataTypeId, Key: (c.Flags & RelationMessage.Column.ColumnFlags.PartOfKey) != 0)).ToArray();

        await ResolveTypesAsync([.. columns.Select(c => c.DataTypeId)], ct);

        string[] primaryKey;
        await using (var command = service.DataSource.CreateCommand("""
            select coalesce(array_agg(a.attname::text order by a.attnum), '{}')
            from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
            where i.indrelid = $1 and i.indisprimary
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            primaryKey = (string[])(await command.ExecuteScalarAsync(ct))!;
        }

        var relationColumns = columns.Select(c => new RelationColumn(c.ColumnName, _types.GetValueOrDefault(c.DataTypeId) ?? PgTypeInfo.Unknown(c.DataTypeId), c.Key)).ToArray();
        var pk = primaryKey.Select(name => Array.FindIndex(relationColumns, c => c.Name == name)).Where(i => i >= 0).ToArray();
        _relations[oid] = new RelationInfo(oid, schema, table, relationColumns, pk);
    }

    private async Task ResolveTypesAsync(uint[] oids, CancellationToken ct)
    {
        var missing = oids.Where(o => !_types.ContainsKey(o)).Distinct().ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        var rows = new List<(uint Oid, string Name, string SqlName, uint Element, char Delimiter)>();
        await using (var command = service.DataSource.CreateCommand(
            "select t.oid, t.typname::text, format_type(t.oid, null), t.typelem, t.typdelim::text from pg_type t where t.oid = any($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = missing, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<uint>(3), reader.GetString(4)[0]));
            }
        }

        var elements = rows.Where(r => r.Element != 0 && r.Name.StartsWith('_')).Select(r => r.Element).ToArray();
        await ResolveTypesAsync(elements, ct);
        foreach (var row in rows)
        {
            var element = row.Element != 0 && row.Name.StartsWith('_') ? _types.GetValueOrDefault(row.Element) : null;
            _types[row.Oid] = new PgTypeInfo(row.Oid, row.Name, row.SqlName, element, row.Delimiter);
        }
    }
}
