using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// What a private channel's member may do, per extension, as Supabase Realtime's authorization decides it: <c>null</c> =
/// not evaluated yet, then true or false. Read lets a member receive (broadcasts; presence state and diffs), write lets it
/// send (broadcast) or announce itself (presence track).
/// </summary>
internal sealed record ChannelPolicies(bool? BroadcastRead = null, bool? PresenceRead = null, bool? BroadcastWrite = null, bool? PresenceWrite = null)
{
    public bool CanReadAnything => BroadcastRead == true || PresenceRead == true;
}

/// <summary>
/// Private channels' authorization through row-level security on <c>realtime.messages</c>, as Supabase Realtime does it:
/// with the member's role and claims and <c>realtime.topic()</c> set, a policy <c>for select</c> that lets the member see a
/// probe row of an extension grants read, a policy <c>for insert</c> that lets it insert one grants write. The probes are
/// rolled back. A policy that fails (an error, not a refusal) counts as a refusal and is logged.
/// </summary>
internal sealed class ChannelAuthorization(RealtimeService service)
{
    private const string Broadcast = "broadcast";
    private const string Presence = "presence";

    /// <summary>Evaluates the read policies (presence only when <paramref name="presence"/>), keeping what is already known.</summary>
    public async Task<ChannelPolicies> AuthorizeReadAsync(ChannelPolicies policies, RealtimeToken token, string subTopic, bool presence, CancellationToken ct)
    {
        var extensions = presence ? new[] { Broadcast, Presence } : [Broadcast];
        var ids = extensions.Select(_ => Guid.NewGuid()).ToArray();
        await using var connection = await service.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            var insert = new NpgsqlBatchCommand("insert into realtime.messages (id, topic, extension, private) select unnest($1::uuid[]), $2, unnest($3::text[]), true");
            insert.Parameters.Add(new NpgsqlParameter { Value = ids });
            insert.Parameters.Add(new NpgsqlParameter { Value = subTopic });
            insert.Parameters.Add(new NpgsqlParameter { Value = extensions });
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(SetConfig(token, subTopic));
            var select = new NpgsqlBatchCommand("select id from realtime.messages where id = any($1)");
            select.Parameters.Add(new NpgsqlParameter { Value = ids });
            batch.BatchCommands.Add(select);

            var visible = new HashSet<Guid>();
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                // The probes the member may see: the result of the last statement (the one with the uuid column).
                do
                {
                    if (reader.FieldCount == 1 && reader.GetDataTypeName(0) == "uuid")
                    {
                        while (await reader.ReadAsync(ct))
                        {
                            visible.Add(reader.GetGuid(0));
                        }
                    }
                }
                while (await reader.NextResultAsync(ct));
            }

            await transaction.RollbackAsync(ct);
            return presence
                ? policies with { BroadcastRead = visible.Contains(ids[0]), PresenceRead = visible.Contains(ids[1]) }
                : policies with { BroadcastRead = visible.Contains(ids[0]) };
        }
        catch (PostgresException ex)
        {
            RealtimeLog.PolicyFailed(service.Logger, "read", subTopic, ex);
            return presence
                ? policies with { BroadcastRead = false, PresenceRead = false }
                : policies with { BroadcastRead = false };
        }
    }

    /// <summary>Evaluates the write policies of both extensions: each is an insert of a probe row as the member.</summary>
    public async Task<ChannelPolicies> AuthorizeWriteAsync(ChannelPolicies policies, RealtimeToken token, string subTopic, CancellationToken ct)
    {
        await using var connection = await service.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var allowed = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            await using (var set = new NpgsqlBatch(connection, transaction))
            {
                set.BatchCommands.Add(SetConfig(token, subTopic));
                await set.ExecuteNonQueryAsync(ct);
            }

            foreach (var extension in new[] { Broadcast, Presence })
            {
                await transaction.SaveAsync("probe", ct);
                try
                {
                    await using var insert = new NpgsqlCommand("insert into realtime.messages (topic, extension, private) values ($1, $2, true)", connection, transaction);
                    insert.Parameters.Add(new NpgsqlParameter { Value = subTopic });
                    insert.Parameters.Add(new NpgsqlParameter { Value = extension });
                    await insert.ExecuteNonQueryAsync(ct);
                    allowed[extension] = true;
                }
                catch (PostgresException ex)
                {
                    await transaction.RollbackAsync("probe", ct);
                    if (ex.SqlState != PostgresErrorCodes.InsufficientPrivilege)
                    {
                        RealtimeLog.PolicyFailed(service.Logger, "write", subTopic, ex);
                    }

                    allowed[extension] = false;
                }
            }

            await transaction.RollbackAsync(ct);
        }
        catch (PostgresException ex)
        {
            RealtimeLog.PolicyFailed(service.Logger, "write", subTopic, ex);
        }

        return policies with
        {
            BroadcastWrite = allowed.GetValueOrDefault(Broadcast),
            PresenceWrite = allowed.GetValueOrDefault(Presence),
        };
    }

    /// <summary>The member's identity for the policies, transaction-local (Realtime's set_conn_config).</summary>
    private static NpgsqlBatchCommand SetConfig(RealtimeToken token, string subTopic)
    {
        var command = new NpgsqlBatchCommand("""
            select set_config('role', $1, true),
                   set_config('realtime.topic', $2, true),
                   set_config('request.jwt.claims', $3, true),
                   set_config('request.jwt.claim.sub', $4, true),
                   set_config('request.jwt.claim.role', $1, true),
                   set_config('request.headers', '{}', true)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = token.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = subTopic });
        command.Parameters.Add(new NpgsqlParameter { Value = token.ClaimsJson });
        command.Parameters.Add(new NpgsqlParameter { Value = RealtimeJson.ReadString(token.Claims["sub"]) ?? "" });
        return command;
    }
}
