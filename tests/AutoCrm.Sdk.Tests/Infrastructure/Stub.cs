using System.Net;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using Microsoft.Extensions.Time.Testing;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace AutoCrm.Sdk.Tests.Infrastructure;

/// <summary>A WireMock server standing in for a Supabase project, plus clients pointed at it.</summary>
public sealed class Stub : IDisposable
{
    public const string ApiKey = "test-anon-key";

    public Stub() => Server = WireMockServer.Start();

    public WireMockServer Server { get; }

    public Uri Url => new(Server.Url!);

    public CrmClient Client(TimeProvider? time = null, int maxRetries = 0, ISessionStore? store = null, HttpMessageHandler? handler = null, string apiKey = ApiKey) =>
        new(new CrmClientOptions
        {
            Url = Url,
            ApiKey = apiKey,
            TimeProvider = time,
            MaxRetries = maxRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            SessionStore = store,
            HttpMessageHandler = handler,
        });

    /// <summary>Answers every request with this method and path.</summary>
    public void Reply(string method, string path, int status, string? body = null, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status);
        if (body is not null)
        {
            response = response.WithBody(body).WithHeader("Content-Type", "application/json; charset=utf-8");
        }

        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        Server.Given(Request.Create().WithPath(path).UsingMethod(method)).RespondWith(response);
    }

    public IReadOnlyList<Recorded> Requests => [.. Server.LogEntries.OrderBy(e => e.RequestMessage!.DateTime).Select(Recorded.From)];

    public Recorded Single()
    {
        var requests = Requests;
        Assert.Single(requests);
        return requests[0];
    }

    public Recorded Last() => Requests[^1];

    public void Dispose() => Server.Stop();

    public static FakeTimeProvider FakeTime() => new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
}

/// <summary>A request as the stub saw it.</summary>
public sealed record Recorded(string Method, string Path, string RawQuery, IReadOnlyDictionary<string, string> Headers, string? Body)
{
    public string Query => WebUtility.UrlDecode(RawQuery);

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public static Recorded From(ILogEntry entry)
    {
        var message = entry.RequestMessage!;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in message.Headers ?? new Dictionary<string, WireMock.Types.WireMockList<string>>())
        {
            headers[name] = string.Join(", ", values);
        }

        var raw = message.RawQuery ?? "";
        return new Recorded(message.Method, message.Path, raw.TrimStart('?'), headers, message.Body);
    }
}
