using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace AutoCrm.Sdk.Tests.Infrastructure;

/// <summary>An in-memory HTTP handler: answers from a script, records requests, and signals when one arrives.</summary>
public sealed class ScriptedHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, int, Task<HttpResponseMessage>> _respond;
    private int _count;

    public ScriptedHandler(Func<HttpRequestMessage, int, Task<HttpResponseMessage>> respond) => _respond = respond;

    public ConcurrentQueue<(HttpMethod Method, string PathAndQuery, string? Authorization, string? RetryCount, string? Body)> Requests { get; } = new();

    public int Count => Volatile.Read(ref _count);

    /// <summary>Completes when the n-th request (1-based) arrives.</summary>
    public Task WaitForRequestAsync(int n) => _arrivals.GetOrAdd(n, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private readonly ConcurrentDictionary<int, TaskCompletionSource> _arrivals = new();

    public static HttpResponseMessage Json(int status, string body, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _count);
        Requests.Enqueue((
            request.Method,
            request.RequestUri!.PathAndQuery,
            request.Headers.TryGetValues("Authorization", out var auth) ? auth.First() : null,
            request.Headers.TryGetValues("X-Retry-Count", out var retry) ? retry.First() : null,
            request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken)));
        _arrivals.GetOrAdd(n, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return await _respond(request, n).WaitAsync(cancellationToken);
    }
}
