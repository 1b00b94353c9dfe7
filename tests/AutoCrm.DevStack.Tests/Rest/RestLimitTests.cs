using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>Requests that try to hold the server with size: each gets PostgREST's error shape, never a 500.</summary>
[Collection("rest")]
public sealed class RestLimitTests(RestFixture fx)
{
    private const long OverLimit = 30_000_001;

    /// <summary>A JSON array of spaces, <paramref name="length"/> bytes long, streamed without a known length when asked.</summary>
    private static HttpContent Body(long length, bool chunked, string contentType)
    {
        var stream = new PaddedJson(length);
        var content = new StreamContent(stream, 1 << 16);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (!chunked)
        {
            content.Headers.ContentLength = length;
        }

        return content;
    }

    [Theory]
    [InlineData("POST", "rt_notes", false, "application/json")]
    [InlineData("POST", "rt_notes", true, "application/json")]
    [InlineData("PATCH", "rt_notes?id=eq.1", true, "application/json")]
    [InlineData("POST", "rpc/rt_echo", true, "application/json")]
    [InlineData("POST", "rpc/rt_echo", true, "text/plain")]
    [InlineData("POST", "rpc/rt_echo", false, "application/octet-stream")]
    public async Task A_body_over_the_limit_is_413_in_PostgREST_shape(string method, string url, bool chunked, string contentType)
    {
        var before = await fx.ScalarAsync("select count(*) from rt_notes");
        using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = Body(OverLimit, chunked, contentType) };

        // A declared length over the limit is refused before the body is read: a client that waits for
        // "100 Continue" (as curl does for large bodies) reads the answer instead of writing into a closed socket.
        request.Headers.ExpectContinue = !chunked;
        using var response = await fx.Client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(["code", "details", "hint", "message"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("PGRST413", body["code"]!.GetValue<string>());
        Assert.Equal(before, await fx.ScalarAsync("select count(*) from rt_notes"));
    }

    /// <summary>rt_books(rt_reviews(rt_books(…))) with <paramref name="levels"/> embeds, each one level deeper.</summary>
    private static string NestedEmbeds(int levels)
    {
        var select = "id";
        for (var i = levels; i > 0; i--)
        {
            select = $"id,{(i % 2 == 1 ? "rt_reviews" : "rt_books")}({select})";
        }

        return "rt_books?select=" + select;
    }

    [Fact]
    public async Task Embeds_nest_at_most_eight_levels_deep()
    {
        using (var ok = await fx.SendAsync(HttpMethod.Get, NestedEmbeds(8) + "&id=eq.1"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await fx.SendAsync(HttpMethod.Get, NestedEmbeds(9) + "&id=eq.1");
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("PGRST100", body["code"]!.GetValue<string>());
        Assert.Contains("nested deeper than 8 levels", body["details"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_select_holds_at_most_32_embeds()
    {
        static string Siblings(int n) => "rt_books?id=eq.1&select=id," + string.Join(",", Enumerable.Range(0, n).Select(i => $"r{i}:rt_reviews(id)"));
        using (var ok = await fx.SendAsync(HttpMethod.Get, Siblings(32)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await fx.SendAsync(HttpMethod.Get, Siblings(48));
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("PGRST100", body["code"]!.GetValue<string>());
        Assert.Contains("more than 32 embedded resources", body["details"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary><c>[</c>, spaces, <c>]</c>: valid JSON of any length, generated as it is read.</summary>
    private sealed class PaddedJson(long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - position);
            for (var i = 0; i < n; i++)
            {
                var at = position + i;
                buffer[offset + i] = at == 0 ? (byte)'[' : at == length - 1 ? (byte)']' : (byte)' ';
            }

            position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
