using System.Diagnostics;
using System.Globalization;
using AutoCrm.DevStack.Realtime;
using Npgsql;

namespace AutoCrm.Realtime.Bench;

/// <summary>
/// The database side of one dispatch round, measured in the same run against the same cluster: "which of these
/// tickets may each of N claim sets see?" answered (a) the way the dispatcher did before, one set_config statement
/// plus one select per claim set in a single auto-prepared NpgsqlBatch, and (b) the way it does now, one call of
/// the session-temporary PL/pgSQL function (<see cref="RlsFunction"/>). Rounds alternate between the two so both
/// see the same machine load.
/// </summary>
internal static class RlsCheckBench
{
    public static async Task<string> RunAsync(string connectionString, IReadOnlyList<Guid> users, IReadOnlyList<Guid> tickets, int groups, int rounds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 };
        await using var statements = new NpgsqlConnection(builder.ConnectionString);
        await using var function = new NpgsqlConnection(builder.ConnectionString);
        await statements.OpenAsync();
        await function.OpenAsync();

        var uuid = new PgTypeInfo(2950, "uuid", "uuid", null);
        var relation = new RelationInfo(0, "public", "tickets", [new RelationColumn("id", uuid, true)], [0]);
        var rls = RlsFunction.For(relation);
        await using (var create = new NpgsqlCommand(rls.CreateSql, function))
        {
            await create.ExecuteNonQueryAsync();
        }

        var claims = Enumerable.Range(0, groups).Select(i => LatencyBench.Claims(users[i % users.Count])).ToArray();
        var roles = claims.Select(_ => "authenticated").ToArray();
        var claimsJson = claims.Select(c => c.ToJsonString()).ToArray();
        var subs = claims.Select(c => (string)c["sub"]!).ToArray();

        var before = new List<double>(rounds);
        var after = new List<double>(rounds);
        var visibleBefore = 0;
        var visibleAfter = 0;
        for (var round = -10; round < rounds; round++)
        {
            // One changed ticket per round, as at 100 changes/s with rounds of one transaction.
            var key = tickets[(round + 10) % tickets.Count].ToString();

            var clock = Stopwatch.StartNew();
            await using (var batch = new NpgsqlBatch(statements))
            {
                for (var g = 0; g < groups; g++)
                {
                    var set = new NpgsqlBatchCommand(
                        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)");
                    set.Parameters.Add(new NpgsqlParameter { Value = roles[g] });
                    set.Parameters.Add(new NpgsqlParameter { Value = claimsJson[g] });
                    set.Parameters.Add(new NpgsqlParameter { Value = subs[g] });
                    batch.BatchCommands.Add(set);
                    var select = new NpgsqlBatchCommand("select \"id\"::text from \"public\".\"tickets\" where (\"id\") in (select * from unnest($1::text[]::uuid[]))");
                    select.Parameters.Add(new NpgsqlParameter { Value = new[] { key }, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                    batch.BatchCommands.Add(select);
                }

                var visible = 0;
                await using var reader = await batch.ExecuteReaderAsync();
                do
                {
                    while (await reader.ReadAsync())
                    {
                        visible += reader.FieldCount == 1 ? 1 : 0;
                    }
                }
                while (await reader.NextResultAsync());

                if (round >= 0)
                {
                    before.Add(clock.Elapsed.TotalMilliseconds);
                    visibleBefore += visible; // set_config rows have 4 fields; visible keys have 1
                }
            }

            clock.Restart();
            await using (var call = new NpgsqlCommand(rls.CallSql, function))
            {
                call.Parameters.Add(new NpgsqlParameter { Value = roles, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                call.Parameters.Add(new NpgsqlParameter { Value = claimsJson, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                call.Parameters.Add(new NpgsqlParameter { Value = subs, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                call.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Range(1, groups).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer });
                call.Parameters.Add(new NpgsqlParameter { Value = Enumerable.Repeat(key, groups).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                var visible = 0;
                await using var reader = await call.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    visible++;
                }

                if (round >= 0)
                {
                    after.Add(clock.Elapsed.TotalMilliseconds);
                    visibleAfter += visible;
                }
            }
        }

        if (visibleBefore != visibleAfter)
        {
            // Both paths must agree on what is visible, or the comparison means nothing.
            throw new InvalidOperationException($"the two RLS paths disagree: {visibleBefore} vs {visibleAfter} visible rows");
        }

        before.Sort();
        after.Sort();
        double P50(List<double> xs) => xs[xs.Count / 2];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"RLS check of one change for {groups} claim sets, {rounds} rounds each, alternating: statements batch p50 {P50(before):F2} ms, mean {before.Average():F2} ms | pg_temp function p50 {P50(after):F2} ms, mean {after.Average():F2} ms | ratio (function / statements) p50 {P50(after) / P50(before):F2}, mean {after.Average() / before.Average():F2} | visible rows {visibleAfter} (both paths agree)");
    }
}
