using System.Net;
using System.Text;
using System.Text.Json;

namespace AutoCrm.Sdk.Tests.Scale;

/// <summary>
/// Sends each SDK request to the DevStack as PostgREST's EXPLAIN ANALYZE (<c>Accept: application/vnd.pgrst.plan+json</c>),
/// keeps the plan, and answers the SDK with an empty result, so a test sees the plan of exactly the request the SDK built.
/// Sign-in requests pass through untouched.
/// </summary>
internal sealed class PlanCapturingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public List<JsonElement> Plans { get; } = [];

    public bool Capturing { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!Capturing || request.RequestUri?.AbsolutePath.StartsWith("/rest/v1/", StringComparison.Ordinal) != true)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var forType = request.Headers.Accept.FirstOrDefault()?.MediaType ?? "application/json";
        request.Headers.Accept.Clear();
        request.Headers.TryAddWithoutValidation("Accept", $"application/vnd.pgrst.plan+json; for=\"{forType}\"; options=analyze|buffers");
        using var response = await base.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"plan request {request.RequestUri} failed: {(int)response.StatusCode} {body}");
        }

        using (var document = JsonDocument.Parse(body))
        {
            Plans.Add(document.RootElement[0].Clone());
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(forType.Contains("object", StringComparison.Ordinal) ? "{}" : "[]", Encoding.UTF8, "application/json") };
    }
}
