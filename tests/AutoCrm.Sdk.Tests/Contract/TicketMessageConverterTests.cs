using System.Reflection;
using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary>
/// <see cref="TicketMessage"/> is read and written by a hand-written converter (for speed); these tests hold it to the
/// shape the source generator would produce, and fail when the record grows a property the converter does not know.
/// </summary>
public sealed class TicketMessageConverterTests
{
    private static readonly TicketMessage Full = new()
    {
        Id = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
        TicketId = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000001"),
        AuthorId = Guid.Parse("11111111-1111-4111-8111-111111111111"),
        Visibility = MessageVisibility.Internal,
        Body = "Line one\nand \"two\" — ünïcode",
        Metadata = CrmMetadata.Parse("""{"via":"email","n":[1,2,{"x":null}]}"""),
        CreatedAt = new DateTimeOffset(2026, 1, 1, 10, 0, 0, 123, TimeSpan.FromHours(2)),
    };

    [Fact]
    public void Every_property_of_the_record_is_written_under_its_snake_case_name_and_read_back()
    {
        var json = JsonSerializer.Serialize(Full, CrmJsonContext.Default.TicketMessage);
        using var document = JsonDocument.Parse(json);
        var written = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        var declared = typeof(TicketMessage).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract")
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name))
            .ToList();

        Assert.Equal(declared.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        Assert.Equal(Full, JsonSerializer.Deserialize(json, CrmJsonContext.Default.TicketMessage));
    }

    [Fact]
    public void Writes_the_shape_the_source_generator_wrote()
    {
        var json = JsonSerializer.Serialize(Full with { AuthorId = null }, CrmJsonContext.Default.TicketMessage);

        Assert.Equal(
            """{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","ticket_id":"0190a1b2-c3d4-7e5f-8a9b-000000000001","visibility":"internal","body":"Line one\nand \u0022two\u0022 \u2014 \u00FCn\u00EFcode","metadata":{"via":"email","n":[1,2,{"x":null}]},"created_at":"2026-01-01T10:00:00.123+02:00"}""",
            json);
    }

    [Fact]
    public void Reads_a_postgrest_row_skipping_unknown_columns_and_taking_nulls()
    {
        const string row = """
            {"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","extra":{"deep":[1,{"a":[]}]},"ticket_id":"0190a1b2-c3d4-7e5f-8a9b-000000000001",
             "author_id":null,"visibility":"public","body":"hi","metadata":null,"created_at":"2026-01-01T10:00:00.123456+00:00","later":true}
            """;

        var message = JsonSerializer.Deserialize(row, CrmJsonContext.Default.TicketMessage)!;

        Assert.Null(message.AuthorId);
        Assert.Equal(MessageVisibility.Public, message.Visibility);
        Assert.Equal("hi", message.Body);
        Assert.Same(CrmMetadata.Empty, message.Metadata);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234560), message.CreatedAt);
    }

    [Theory]
    [InlineData("""{"ticket_id":"0190a1b2-c3d4-7e5f-8a9b-000000000001","body":"no id"}""")]
    [InlineData("""{"id":"not-a-guid"}""")]
    [InlineData("""{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","visibility":"secret"}""")]
    [InlineData("""{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","metadata":[1]}""")]
    [InlineData("""{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","body":3}""")]
    [InlineData("""[{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}]""")]
    public void Malformed_rows_are_a_JsonException(string row) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(row, CrmJsonContext.Default.TicketMessage));

    [Fact]
    public async Task A_conversation_inside_a_ticket_page_reads_the_same_from_bytes_and_from_a_buffered_stream()
    {
        var page = Encoding.UTF8.GetBytes($$"""[{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","subject":"s","conversation_history":[{{JsonSerializer.Serialize(Full, CrmJsonContext.Default.TicketMessage)}}]}]""");
        using var stream = new MemoryStream(page, writable: false);

        var fromStream = (await BufferedJson.DeserializeAsync(stream, CrmJsonContext.Default.ListTicket, TestContext.Current.CancellationToken))!;
        var fromBytes = JsonSerializer.Deserialize(page, CrmJsonContext.Default.ListTicket)!;

        Assert.Equal(Full, Assert.Single(fromStream[0].ConversationHistory!));
        Assert.Equal(fromBytes[0].ConversationHistory, fromStream[0].ConversationHistory);
    }
}
