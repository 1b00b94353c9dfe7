using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using BenchmarkDotNet.Attributes;
using JsonConvert = Newtonsoft.Json.JsonConvert;

namespace AutoCrm.Sdk.Bench;

/// <summary>A page of 100 tickets with metadata and a 3-message conversation each (~170 KB of JSON).</summary>
public class DeserializeTicketsBenchmark
{
    private byte[] _utf8 = [];
    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _utf8 = SamplePayload.Page(100, 3);
        _text = Encoding.UTF8.GetString(_utf8);
    }

    [Benchmark(Baseline = true, Description = "Newtonsoft.Json (string → POCO + JObject)")]
    public int Newtonsoft() => JsonConvert.DeserializeObject<List<NsTicket>>(_text)!.Count;

    [Benchmark(Description = "AutoCrm.Sdk source-generated STJ (UTF-8 → records + CrmMetadata)")]
    public int Sdk() => JsonSerializer.Deserialize(_utf8, CrmJsonContext.Default.ListTicket)!.Count;

    /// <summary>What the client does with a response body: the buffered stream HttpClient hands back, read by
    /// <c>BufferedJson</c> (pooled copy, one synchronous pass).</summary>
    [Benchmark(Description = "AutoCrm.Sdk from a buffered response stream (the client's path)")]
    public async Task<int> SdkStream()
    {
        using var stream = new MemoryStream(_utf8, writable: false);
        return (await BufferedJson.DeserializeAsync(stream, CrmJsonContext.Default.ListTicket, CancellationToken.None))!.Count;
    }

    /// <summary>The client's path before <c>BufferedJson</c>: <c>DeserializeAsync</c> over the same stream.</summary>
    [Benchmark(Description = "AutoCrm.Sdk DeserializeAsync over the stream (before)")]
    public async Task<int> SdkStreamAsync()
    {
        using var stream = new MemoryStream(_utf8, writable: false);
        return (await JsonSerializer.DeserializeAsync(stream, CrmJsonContext.Default.ListTicket))!.Count;
    }
}
