using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Security;

/// <summary>A customer trying to park megabytes or thousands of fields in metadata: a 400 in PostgREST's shape, nothing stored.</summary>
[Collection("seeded-security")]
public sealed class MetadataLimitTests(SeededStackFixture stack)
{
    private const string Carol = "carol@customer.demo";

    private static string Blob(int bytes) => new JsonObject { ["metadata"] = new JsonObject { ["blob"] = new string('x', bytes) } }.ToJsonString();

    private static string Fields(int count)
    {
        var metadata = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            metadata["f" + i] = i;
        }

        return new JsonObject { ["subject"] = "many fields", ["metadata"] = metadata }.ToJsonString();
    }

    [Theory]
    [InlineData("PATCH", "tickets?id=eq." + SeededStackFixture.Ticket, 5_000_000, 0, "field \"metadata\": metadata is too large: 5000012 bytes, at most 262144")]
    [InlineData("POST", "tickets", 0, 600, "field \"metadata\": metadata has too many fields: 600, at most 512")]
    [InlineData("POST", "ticket_messages", 300_000, 0, "field \"metadata\": metadata is too large: 300012 bytes, at most 262144")]
    public async Task Oversized_metadata_is_a_400_with_a_clear_message(string method, string path, int bytes, int fields, string message)
    {
        var carol = await stack.TokenAsync(Carol);
        var before = await stack.RestAsync(HttpMethod.Get, $"tickets?id=eq.{SeededStackFixture.Ticket}&select=metadata,version", carol);
        var body = bytes > 0 ? Blob(bytes) : Fields(fields);
        if (path == "ticket_messages")
        {
            var node = JsonNode.Parse(body)!.AsObject();
            node["ticket_id"] = SeededStackFixture.Ticket;
            node["body"] = "hello";
            body = node.ToJsonString();
        }

        using var response = await stack.SendAsync(new HttpMethod(method), "/rest/v1/" + path, carol, body);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("23514", error["code"]!.GetValue<string>());
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.Equal(before!.ToJsonString(), (await stack.RestAsync(HttpMethod.Get, $"tickets?id=eq.{SeededStackFixture.Ticket}&select=metadata,version", carol))!.ToJsonString());
    }

    [Fact]
    public async Task Metadata_within_the_limits_is_stored()
    {
        var carol = await stack.TokenAsync(Carol);
        var created = await stack.RestAsync(HttpMethod.Post, "tickets", carol, Fields(512), ("Prefer", "return=representation"));
        Assert.Equal(512, created![0]!["metadata"]!.AsObject().Count);
    }
}
