using AutoCrm.DevStack.Realtime;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AutoCrm.DevStack.Tests.Realtime;

public sealed partial class PostgresChangesTests(RealtimeEnvironment env)
{
    private static string Topic() => "realtime:db-" + Guid.NewGuid().ToString("N")[..8];

    private static string Marker() => "m-" + Guid.NewGuid().ToString("N")[..10];

    private static JsonArray Binding(string table, string @event = "*", string? filter = null)
    {
        var binding = new JsonObject { ["event"] = @event, ["schema"] = "public", ["table"] = table };
        if (filter is not null)
        {
            binding["filter"] = filter;
        }

        return [binding];
    }

    private static Func<ReceivedFrame, bool> Change(string type, Func<JsonObject, bool> data) =>
        f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["type"] == type && data(f.Payload!["data"]!.AsObject());

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex CommitTimestamp();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")]
    private static partial Regex PostgrestTimestamp();

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Insert_update_and_delete_payloads_have_the_realtime_shape_and_json_types(string vsn)
    {
        await using var client = await env.ConnectAsync(vsn);
        var topic = Topic();
        var (_, reply) = await client.SubscribeAsync(topic, Binding("notes"));
        var id = (int)reply["response"]!["postgres_changes"]![0]!["id"]!;
        var marker = Marker();

        await env.Postgres.ExecuteAsync(
            "insert into public.notes (title, score, rank, done, tags, meta, owner) values ($1, 12.50, 7, true, '{a,\"b c\",NULL}', '{\"k\":[1,2],\"s\":\"x\"}', null)", marker);
        var insert = await client.NextAsync(Change("INSERT", d => (string?)d["record"]!["title"] == marker));
        Assert.Equal(topic, insert.Topic);
        Assert.Null(insert.Ref);
        Assert.Equal([id], insert.Payload!["ids"]!.AsArray().Select(n => (int)n!));
        var data = insert.Payload!["data"]!.AsObject();
        Assert.Equal("public", (string?)data["schema"]);
        Assert.Equal("notes", (string?)data["table"]);
        Assert.Matches(CommitTimestamp(), (string?)data["commit_timestamp"]);
        Assert.Null(data["errors"]);
        Assert.True(data.ContainsKey("errors"));
        Assert.False(data.ContainsKey("old_record"));
        var columns = data["columns"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => (string)c!["type"]!);
        Assert.Equal("int8", columns["id"]);
        Assert.Equal("_text", columns["tags"]);
        Assert.Equal("jsonb", columns["meta"]);
        Assert.Equal("timestamptz", columns["created_at"]);
        Assert.Equal("numeric", columns["score"]);
        Assert.Equal("bool", columns["done"]);
        var record = data["record"]!.AsObject();
        Assert.Equal(System.Text.Json.JsonValueKind.Number, record["id"]!.GetValueKind());
        Assert.Equal(12.5m, (decimal)record["score"]!);
        Assert.Equal(7, (int)record["rank"]!);
        Assert.True((bool)record["done"]!);
        Assert.Equal("""["a","b c",null]""", record["tags"]!.ToJsonString());
        Assert.Equal("""{"k":[1,2],"s":"x"}""", record["meta"]!.ToJsonString());
        Assert.Matches(PostgrestTimestamp(), (string?)record["created_at"]);
        Assert.Null(record["owner"]);
        Assert.True(record.ContainsKey("owner"));
        var rowId = (long)record["id"]!;

        await env.Postgres.ExecuteAsync("update public.notes set title = $1 || '-2', done = false where id = $2", marker, rowId);
        var update = await client.NextAsync(Change("UPDATE", d => (long)d["record"]!["id"]! == rowId));
        Assert.Equal(marker + "-2", (string?)update.Payload!["data"]!["record"]!["title"]);
        Assert.False((bool)update.Payload!["data"]!["record"]!["done"]!);
        Assert.Equal(marker, (string?)update.Payload!["data"]!["old_record"]!["title"]); // replica identity full, no RLS

        await env.Postgres.ExecuteAsync("delete from public.notes where id = $1", rowId);
        var delete = await client.NextAsync(Change("DELETE", d => (long?)d["old_record"]!["id"] == rowId));
        Assert.False(delete.Payload!["data"]!.AsObject().ContainsKey("record"));
        Assert.Equal(marker + "-2", (string?)delete.Payload!["data"]!["old_record"]!["title"]);
    }

    [Fact]
    public async Task Event_filter_and_column_filters_select_the_changes_delivered()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        var marker = Marker();
        var bindings = new JsonArray(
            new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "notes", ["filter"] = "rank=gt.5" },
            new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "notes", ["filter"] = $"title=in.({marker}-b,{marker}-c)" },
            new JsonObject { ["event"] = "DELETE", ["schema"] = "public", ["table"] = "notes" });
        var (_, reply) = await client.SubscribeAsync(Topic(), bindings);
        var ids = reply["response"]!["postgres_changes"]!.AsArray().Select(b => (int)b!["id"]!).ToArray();

        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-a', 3)", marker);
        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-b', 10)", marker);
        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-c', 1)", marker);
        await env.Postgres.ExecuteAsync("update public.notes set rank = 100 where title like $1 || '%'", marker);

        bool Mine(ReceivedFrame f) => f.Event == "postgres_changes"
            && ((string?)f.Payload!["data"]!["record"]?["title"])?.StartsWith(marker, StringComparison.Ordinal) == true;
        var b = await client.NextAsync(Mine);
        Assert.Equal(marker + "-b", (string?)b.Payload!["data"]!["record"]!["title"]);
        Assert.Equal(new[] { ids[0], ids[1] }.Order(), b.Payload!["ids"]!.AsArray().Select(n => (int)n!).Order());
        var c = await client.NextAsync(Mine);
        Assert.Equal(marker + "-c", (string?)c.Payload!["data"]!["record"]!["title"]);
        Assert.Equal([ids[1]], c.Payload!["ids"]!.AsArray().Select(n => (int)n!));

        // The UPDATE matches no binding: the next frame of ours is the delete.
        await env.Postgres.ExecuteAsync("delete from public.notes where title = $1 || '-a'", marker);
        var next = await client.NextAsync(f => f.Event == "postgres_changes"
            && (Mine(f) || ((string?)f.Payload!["data"]!["old_record"]?["title"]) == marker + "-a"));
        Assert.Equal("DELETE", (string?)next.Payload!["data"]!["type"]);
        Assert.Equal([ids[2]], next.Payload!["ids"]!.AsArray().Select(n => (int)n!));
    }

    [Fact]
    public async Task Match_imatch_isdistinct_like_and_negation_filters_select_rows_like_realtime()
    {
        await using var client = await env.ConnectAsync("1.0.0");
        var marker = Marker();
        string[] filters =
        [
            $"title=match.^{marker}-a+$",          // 0: regex, case-sensitive
            $"title=imatch.^{marker.ToUpperInvariant()}-B$", // 1: regex, case-insensitive
            "rank=isdistinct.5",                   // 2: NULL and 6 are distinct from 5, 5 is not
            $"title=not.like.{marker}-a%",         // 3: LIKE, negated
            "rank=not.isdistinct.5",               // 4
        ];
        var bindings = new JsonArray([.. filters.Select(f => (JsonNode?)new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "notes", ["filter"] = f })]);
        var (_, reply) = await client.SubscribeAsync(Topic(), bindings);
        var ids = reply["response"]!["postgres_changes"]!.AsArray().Select(b => (int)b!["id"]!).ToArray();

        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-aaa', 5)", marker);
        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-b', null)", marker);
        await env.Postgres.ExecuteAsync("insert into public.notes (title, rank) values ($1 || '-A', 6)", marker);

        bool Mine(ReceivedFrame f) => f.Event == "postgres_changes"
            && ((string?)f.Payload!["data"]!["record"]?["title"])?.StartsWith(marker, StringComparison.Ordinal) == true;
        int[] Matched(ReceivedFrame f) => [.. f.Payload!["ids"]!.AsArray().Select(n => Array.IndexOf(ids, (int)n!)).Order()];

        var aaa = await client.NextAsync(Mine);
        Assert.Equal(marker + "-aaa", (string?)aaa.Payload!["data"]!["record"]!["title"]);
        Assert.Equal([0, 4], Matched(aaa));
        var b = await client.NextAsync(Mine);
        Assert.Equal(marker + "-b", (string?)b.Payload!["data"]!["record"]!["title"]);
        Assert.Equal([1, 2, 3], Matched(b));
        var upperA = await client.NextAsync(Mine);
        Assert.Equal(marker + "-A", (string?)upperA.Payload!["data"]!["record"]!["title"]);
        Assert.Equal([2, 3], Matched(upperA));
    }

    [Fact]
    public async Task A_record_over_1_MiB_keeps_only_values_of_at_most_64_bytes_and_reports_error_413()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        await client.SubscribeAsync(Topic(), Binding("notes", "INSERT"));
        var marker = Marker();
        var exactly64 = new string('s', 62); // 62 characters + 2 quotes = 64 JSON bytes: kept
        var over64 = new string('s', 63);    // 65 JSON bytes: dropped

        await env.Postgres.ExecuteAsync(
            "insert into public.notes (title, body, rank, meta) values ($1, repeat('b', 1100000), 3, jsonb_build_object('a', $2::text, 'b', $3::text))",
            marker, exactly64, over64);
        await env.Postgres.ExecuteAsync("insert into public.notes (title, body) values ($1 || '-small', 'short')", marker);

        var big = await client.NextAsync(Change("INSERT", d => ((string?)d["record"]!["title"])?.StartsWith(marker, StringComparison.Ordinal) == true));
        var data = big.Payload!["data"]!.AsObject();
        Assert.Equal("""["Error 413: Payload Too Large"]""", data["errors"]!.ToJsonString());
        var record = data["record"]!.AsObject();
        Assert.Equal(marker, (string?)record["title"]);
        Assert.Equal(3, (int)record["rank"]!);
        Assert.False(record.ContainsKey("body"));
        Assert.False(record.ContainsKey("meta")); // {"a": 64 bytes, ...} is itself longer than 64 bytes
        Assert.True(record.ContainsKey("id"));
        Assert.Contains("body", data["columns"]!.AsArray().Select(c => (string)c!["name"]!));

        var small = await client.NextAsync(Change("INSERT", d => ((string?)d["record"]!["title"])?.StartsWith(marker, StringComparison.Ordinal) == true));
        Assert.Null(small.Payload!["data"]!["errors"]);
        Assert.Equal("short", (string?)small.Payload!["data"]!["record"]!["body"]);
    }

    [Fact]
    public void Values_of_a_too_large_record_are_kept_up_to_64_json_bytes()
    {
        var text = new PgTypeInfo(25, "text", "text", null);
        var relation = new RelationInfo(1, "public", "t", [new RelationColumn("id", new PgTypeInfo(23, "int4", "integer", null), true), new RelationColumn("a", text, false), new RelationColumn("b", text, false)], [0]);
        var change = new RowChange(relation, "INSERT", [new RowValue("1", true), new RowValue(new string('x', 62), true), new RowValue(new string('x', 63), true)], null, DateTime.UtcNow);
        var access = new TableAccess(true, false, false, ["id", "a", "b"], 0);

        var whole = System.Text.Json.Nodes.JsonNode.Parse(ChangePayload.BuildData(change, access))!;
        Assert.Null(whole["errors"]);
        Assert.Equal(3, whole["record"]!.AsObject().Count);

        var trimmed = System.Text.Json.Nodes.JsonNode.Parse(ChangePayload.BuildData(change, access, maxRecordBytes: 100))!;
        Assert.Equal("""["Error 413: Payload Too Large"]""", trimmed["errors"]!.ToJsonString());
        Assert.Equal(["id", "a"], trimmed["record"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Default_replica_identity_sends_the_primary_key_as_old_record()
    {
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), Binding("plain"));
        var id = Random.Shared.Next(1, int.MaxValue);

        await env.Postgres.ExecuteAsync("insert into public.plain values ($1, 'one')", id);
        await env.Postgres.ExecuteAsync("update public.plain set label = 'two' where id = $1", id);
        await env.Postgres.ExecuteAsync("delete from public.plain where id = $1", id);

        var update = await client.NextAsync(Change("UPDATE", d => (int)d["record"]!["id"]! == id));
        Assert.Equal($$"""{"id":{{id}}}""", update.Payload!["data"]!["old_record"]!.ToJsonString());
        var delete = await client.NextAsync(Change("DELETE", d => (int?)d["old_record"]!["id"] == id));
        Assert.Equal($$"""{"id":{{id}}}""", delete.Payload!["data"]!["old_record"]!.ToJsonString());
    }

    [Fact]
    public async Task A_table_without_primary_key_reports_error_400()
    {
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), Binding("nokey", "INSERT"));
        await env.Postgres.ExecuteAsync("insert into public.nokey values ('x')");

        var change = await client.NextAsync(f => f.Event == "postgres_changes");
        Assert.Equal("""["Error 400: Bad Request, no primary key"]""", change.Payload!["data"]!["errors"]!.ToJsonString());
    }

    [Fact]
    public async Task Schema_wildcard_receives_every_published_table()
    {
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), [new JsonObject { ["event"] = "INSERT", ["schema"] = "public" }]);
        var id = Random.Shared.Next(1, int.MaxValue);
        var marker = Marker();
        await env.Postgres.ExecuteAsync("insert into public.plain values ($1, $2)", id, marker);
        await env.Postgres.ExecuteAsync("insert into public.notes (title) values ($1)", marker);

        await client.NextAsync(Change("INSERT", d => (string?)d["table"] == "plain" && (string?)d["record"]!["label"] == marker));
        await client.NextAsync(Change("INSERT", d => (string?)d["table"] == "notes" && (string?)d["record"]!["title"] == marker));
    }
}
