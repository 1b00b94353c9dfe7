using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AutoCrm.DevStack.Realtime;
using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>The pure parts: filters, text→JSON conversion, serializers.</summary>
public sealed class RealtimeUnitTests
{
    [Theory]
    [InlineData("rank=gt.5", "7", "int4", true)]
    [InlineData("rank=gt.5", "10", "text", false)] // text compares as text: "10" < "5"
    [InlineData("rank=gte.10", "10", "int8", true)]
    [InlineData("score=lt.2.5", "2.49", "numeric", true)]
    [InlineData("id=in.(1,2,3)", "2", "int4", true)]
    [InlineData("id=in.(1,2,3)", "4", "int4", false)]
    [InlineData("name=in.(\"a b\",c)", "a b", "text", true)]
    [InlineData("done=eq.true", "t", "bool", true)]
    [InlineData("done=is.null", null, "bool", true)]
    [InlineData("done=not.is.null", "f", "bool", true)]
    [InlineData("title=eq.x", null, "text", false)]
    [InlineData("title=neq.x", null, "text", false)]
    [InlineData("title=like.%ab%", "xxabyy", "text", true)]
    [InlineData("title=like.*ab%", "xxabyy", "text", false)] // SQL LIKE: '*' is a literal star (PostgREST's alias is not Realtime's)
    [InlineData("title=like.*ab%", "*abyy", "text", true)]
    [InlineData("title=like.a\\%b", "a%b", "text", true)]
    [InlineData("title=like.a\\%b", "axxb", "text", false)]
    [InlineData("title=like.a_c", "abc", "text", true)]
    [InlineData("title=ilike.AB%", "abc", "text", true)]
    [InlineData("title=not.ilike.AB%", "abc", "text", false)]
    [InlineData("title=match.^ab+c$", "abbbc", "text", true)]
    [InlineData("title=match.^ab+c$", "ABBC", "text", false)]
    [InlineData("title=match.b", "abc", "text", true)] // unanchored, like ~
    [InlineData("title=imatch.^ab+c$", "ABBC", "text", true)]
    [InlineData("title=not.imatch.^ab", "ABC", "text", false)]
    [InlineData("title=match.x", null, "text", false)]
    [InlineData("title=not.match.x", null, "text", false)]
    [InlineData("rank=isdistinct.5", "5", "int4", false)]
    [InlineData("rank=isdistinct.5", "5.0", "numeric", false)] // compared as the type, not as text
    [InlineData("rank=isdistinct.5", "6", "int4", true)]
    [InlineData("rank=isdistinct.5", null, "int4", true)] // NULL is distinct from a value
    [InlineData("rank=not.isdistinct.5", null, "int4", false)]
    [InlineData("rank=not.isdistinct.5", "5", "int4", true)]
    [InlineData("done=is.true", "t", "bool", true)]
    [InlineData("done=is.false", null, "bool", false)]
    [InlineData("done=is.unknown", null, "bool", true)]
    [InlineData("done=not.is.true", "f", "bool", true)]
    [InlineData("title=not.eq.x", "y", "text", true)]
    [InlineData("at=gt.2025-01-01T00:00:00Z", "2025-01-01 00:00:01+00", "timestamptz", true)]
    [InlineData("id=eq.0B3F0000-0000-4000-8000-000000000001", "0b3f0000-0000-4000-8000-000000000001", "uuid", true)]
    public void Filters_compare_with_the_column_type(string filter, string? value, string type, bool expected)
    {
        var condition = Assert.Single(FilterCondition.ParseAll(filter));
        Assert.Equal(expected, condition.Matches(value, type));
    }

    [Fact]
    public void Several_conditions_are_anded_and_bad_operators_are_rejected()
    {
        Assert.Equal(2, FilterCondition.ParseAll("a=eq.1,b=in.(2,3)").Count);
        Assert.Throws<FormatException>(() => FilterCondition.ParseAll("a=between.1"));
        Assert.Throws<FormatException>(() => FilterCondition.ParseAll("a"));
        Assert.NotNull(Assert.Single(FilterCondition.ParseAll("a=eq.x")).ValidateFor("int4"));
    }

    [Theory]
    [InlineData("a=like.1%", "int4", "operator like requires a text-compatible column type, got int4")]
    [InlineData("a=imatch.x", "uuid", "operator imatch requires a text-compatible column type, got uuid")]
    [InlineData("a=is.true", "text", "is true filter requires a boolean column, got text")]
    [InlineData("a=isdistinct.x", "int8", "invalid input syntax for type int8: \"x\"")]
    [InlineData("a=match.(unclosed", "text", "invalid regular expression for match filter: ")]
    public void Filters_that_cannot_apply_to_the_column_type_are_refused(string filter, string type, string error)
    {
        Assert.StartsWith(error, Assert.Single(FilterCondition.ParseAll(filter)).ValidateFor(type), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a=is.null", "int4")]
    [InlineData("a=is.unknown", "bool")]
    [InlineData("a=like.%x", "varchar")]
    [InlineData("a=not.match.^x", "text")]
    [InlineData("a=isdistinct.3", "int8")]
    public void Filters_valid_for_the_column_type_are_accepted(string filter, string type)
    {
        Assert.Null(Assert.Single(FilterCondition.ParseAll(filter)).ValidateFor(type));
    }

    [Fact]
    public void An_in_list_longer_than_100_values_is_refused_like_realtime()
    {
        var hundred = "id=in.(" + string.Join(',', Enumerable.Range(1, 100)) + ")";
        Assert.Equal(100, Assert.Single(FilterCondition.ParseAll(hundred)).Values.Count);
        var error = Assert.Throws<FormatException>(() => FilterCondition.ParseAll("id=in.(" + string.Join(',', Enumerable.Range(1, 101)) + ")"));
        Assert.Equal("too many values for `in` filter. Maximum 100", error.Message);
    }

    [Theory]
    [InlineData("42", "int8", "42")]
    [InlineData("-1.50", "numeric", "-1.50")]
    [InlineData("NaN", "float8", "\"NaN\"")]
    [InlineData("t", "bool", "true")]
    [InlineData("{\"a\": [1, 2]}", "jsonb", "{\"a\": [1, 2]}")]
    [InlineData("2025-01-01 12:00:00.123+00", "timestamptz", "\"2025-01-01T12:00:00.123+00:00\"")]
    [InlineData("2025-01-01 12:00:00+05:30", "timestamptz", "\"2025-01-01T12:00:00+05:30\"")]
    [InlineData("2025-01-01 12:00:00", "timestamp", "\"2025-01-01T12:00:00\"")]
    [InlineData("hello", "text", "\"hello\"")]
    public void Text_values_become_typed_json(string text, string type, string json)
    {
        Assert.Equal(json, Write(text, new PgTypeInfo(0, type, type, null)));
    }

    [Fact]
    public void Arrays_become_json_arrays_with_typed_elements()
    {
        var int4 = new PgTypeInfo(23, "int4", "integer", null);
        var text = new PgTypeInfo(25, "text", "text", null);
        Assert.Equal("[[1,2],[3,null]]", Write("{{1,2},{3,NULL}}", new PgTypeInfo(1007, "_int4", "integer[]", int4)));
        Assert.Equal("[\"a\",\"b,c\",\"NULL\",null,\"q\\\"\"]", Write("{a,\"b,c\",\"NULL\",NULL,\"q\\\"\"}", new PgTypeInfo(1009, "_text", "text[]", text)));
        Assert.Equal("[]", Write("{}", new PgTypeInfo(1009, "_text", "text[]", text)));
    }

    [Fact]
    public void V1_frames_are_objects_without_join_ref_and_v2_frames_are_arrays()
    {
        var v1 = PhoenixSerializer.V1.Encode("1", "2", "realtime:x", "phx_reply", new System.Text.Json.Nodes.JsonObject());
        Assert.Equal("""{"topic":"realtime:x","event":"phx_reply","payload":{},"ref":"2"}""", Encoding.UTF8.GetString(v1.Data));
        var v2 = PhoenixSerializer.V2.Encode(null, null, "realtime:x", "broadcast", new System.Text.Json.Nodes.JsonObject { ["a"] = 1 });
        Assert.Equal("""[null,null,"realtime:x","broadcast",{"a":1}]""", Encoding.UTF8.GetString(v2.Data));
        Assert.Null(PhoenixSerializer.ForVersion("3.0.0"));
        Assert.Same(PhoenixSerializer.V1, PhoenixSerializer.ForVersion(null));
    }

    [Fact]
    public void V2_binary_broadcast_round_trips_kind_3_in_and_kind_4_out()
    {
        byte[] push = [3, 1, 1, 3, 2, 0, 1, .. "12t:xev"u8.ToArray(), .. """{"k":true}"""u8.ToArray()];
        var message = PhoenixSerializer.V2.Decode(push, WebSocketMessageType.Binary);
        Assert.Equal(("1", "2", "t:x", "broadcast"), (message.JoinRef, message.Ref, message.Topic, message.Event));
        Assert.Equal("""{"type":"broadcast","event":"ev","payload":{"k":true}}""", message.Payload!.ToJsonString());

        var frame = PhoenixSerializer.V2.EncodeBinaryBroadcast("t:x", "ev", [9, 8]);
        Assert.Equal(WebSocketMessageType.Binary, frame.Type);
        byte[] expected = [4, 3, 2, 0, 0, .. "t:xev"u8.ToArray(), 9, 8];
        Assert.Equal(expected, frame.Data);
        Assert.Throws<PhoenixFrameException>(() => PhoenixSerializer.V2.Decode([3, 9, 9, 9, 9, 9, 1], WebSocketMessageType.Binary));
    }

    private static string Write(string? text, PgTypeInfo type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, RealtimeJson.WriterOptions))
        {
            PgTextToJson.Write(writer, text, type);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
