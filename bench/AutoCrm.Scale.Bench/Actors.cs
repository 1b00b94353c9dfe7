using System.Net.Http.Headers;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

namespace AutoCrm.Scale.Bench;

/// <summary>A generated user signed in through the SDK against one DevStack; its HTTP calls are recorded for <see cref="PlanProbe"/>.</summary>
internal sealed class Actor : IDisposable
{
    private Actor(string role, GeneratedUser user, CrmClient client, DevStackServer server)
    {
        Role = role;
        User = user;
        Client = client;
        Server = server;
    }

    public string Role { get; }

    public GeneratedUser User { get; }

    public Guid Id => User.Id;

    public CrmClient Client { get; }

    public DevStackServer Server { get; }

    public static async Task<Actor> SignInAsync(DevStackServer server, string role, GeneratedUser user, string password, CancellationToken ct)
    {
        var client = new CrmClient(new CrmClientOptions
        {
            Url = server.Url,
            ApiKey = server.AnonKey,
            SessionStore = new InMemorySessionStore(),
            HttpMessageHandler = new RecordingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), MaxConnectionsPerServer = 256 }),
            MaxRetries = 0,
        });
        await client.Auth.SignInWithPasswordAsync(user.Email, password, ct);
        return new Actor(role, user, client, server);
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>The last HTTP request an SDK call sent, captured per async flow.</summary>
internal sealed class RecordedRequest
{
    public HttpMethod Method { get; set; } = HttpMethod.Get;

    public Uri? Uri { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public byte[]? Body { get; set; }

    public string? ContentType { get; set; }

    private static readonly AsyncLocal<RecordedRequest?> Current = new();

    public static RecordedRequest Begin() => Current.Value = new RecordedRequest();

    public static RecordedRequest? Active => Current.Value;

    public static void End() => Current.Value = null;
}

internal sealed class RecordingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RecordedRequest.Active is { } record)
        {
            record.Method = request.Method;
            record.Uri = request.RequestUri;
            record.Headers.Clear();
            foreach (var header in request.Headers)
            {
                if (header.Key is "Authorization" or "apikey" or "Accept-Profile" or "Content-Profile" or "Prefer")
                {
                    record.Headers.Add(new(header.Key, string.Join(", ", header.Value)));
                }
            }

            if (request.Content is not null)
            {
                record.Body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                record.ContentType = request.Content.Headers.ContentType?.ToString();
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Replays a recorded request with <c>Accept: application/vnd.pgrst.plan+json; options=analyze</c>: the same SQL, role,
/// claims and row-level security, executed under EXPLAIN ANALYZE; returns PostgreSQL's planning + execution time in ms.</summary>
internal static class PlanProbe
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) });

    public static async Task<(double Milliseconds, string PlanJson)> DatabaseTimeAsync(RecordedRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(request.Method, request.Uri);
        foreach (var (key, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(key, value);
        }

        message.Headers.TryAddWithoutValidation("Accept", "application/vnd.pgrst.plan+json; for=\"application/json\"; options=analyze|buffers");
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }
        }

        using var response = await Http.SendAsync(message, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"plan request failed: {(int)response.StatusCode} {body}");
        }

        using var document = System.Text.Json.JsonDocument.Parse(body);
        var plan = document.RootElement[0];
        return (plan.GetProperty("Planning Time").GetDouble() + plan.GetProperty("Execution Time").GetDouble(), body);
    }
}
