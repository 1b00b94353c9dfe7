using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;
using BenchmarkDotNet.Attributes;

namespace AutoCrm.Sdk.Bench;

/// <summary>
/// Per-call overhead of <c>Tickets.GetAsync</c> (query building, auth headers, resilience pipeline, error mapping,
/// telemetry) over the same call made with a raw <see cref="HttpClient"/> and source-generated System.Text.Json.
/// Both talk to the same in-process stub handler, so the network is out of the picture.
/// </summary>
public class GetTicketOverheadBenchmark
{
    private static readonly Uri Url = new("http://stub.local/");
    private StubHandler _handler = null!;
    private HttpClient _raw = null!;
    private CrmClient _crm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _handler = new StubHandler(System.Text.Encoding.UTF8.GetBytes(SamplePayload.Ticket(1, 0).Replace(",\"conversation_history\":[]", "", StringComparison.Ordinal)));
        _raw = new HttpClient(_handler, disposeHandler: false) { BaseAddress = Url };
        _crm = new CrmClient(new CrmClientOptions { Url = Url, ApiKey = "anon-key", HttpMessageHandler = _handler });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _crm.Dispose();
        _raw.Dispose();
        _handler.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw HttpClient + source-generated STJ")]
    public async Task<Guid> Raw()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"rest/v1/tickets?select=*&id=eq.{SamplePayload.TicketId}");
        request.Headers.TryAddWithoutValidation("apikey", "anon-key");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer anon-key");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.pgrst.object+json");
        request.Headers.TryAddWithoutValidation("Accept-Profile", "public");
        using var response = await _raw.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var ticket = await JsonSerializer.DeserializeAsync(stream, CrmJsonContext.Default.Ticket);
        return ticket!.Id;
    }

    [Benchmark(Description = "crm.Tickets.GetAsync")]
    public async Task<Guid> Sdk() => (await _crm.Tickets.GetAsync(SamplePayload.TicketId)).Id;

    private sealed class StubHandler(byte[] body) : HttpMessageHandler
    {
        private static readonly MediaTypeHeaderValue Json = MediaTypeHeaderValue.Parse("application/vnd.pgrst.object+json; charset=utf-8");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = Json;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }
}
