using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.AspNetCore;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Webhooks;

/// <summary>
/// The ASP.NET Core minimal-API helper (<c>MapAutoCrmWebhook</c>, package AutoCrm.Sdk.AspNetCore) on a real Kestrel
/// listener with real HTTP requests: a verified request reaches the handler typed, with its delivery id; anything else is
/// answered 400 (or 413) with the reason and never reaches the handler; the host's TimeProvider is the clock.
/// </summary>
public sealed class WebhookReceiverTests : IAsyncLifetime
{
    private const string Secret = "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
    private const string NewSecret = "whsec_ffeeddccbbaa99887766554433221100ffeeddccbbaa9988";
    private const string Body =
        """{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "data": {"ticket": {"id": "8a0b3c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d", "subject": "Printer on fire"}}, "type": "ticket.created", "created_at": "2026-12-05T02:00:00+00:00"}""";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 2, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<WebhookEvent> _received = new();
    private readonly HttpClient _http = new();
    private WebApplication _app = null!;
    private Uri _baseUrl = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<TimeProvider>(_time);
        _app = builder.Build();
        _app.MapAutoCrmWebhook("/hooks/simple", Secret, (evt, _) =>
        {
            _received.Enqueue(evt);
            return Task.CompletedTask;
        });
        _app.MapAutoCrmWebhook("/hooks/rotating", new WebhookReceiverOptions { Secrets = [Secret, NewSecret], MaxBodyBytes = 2048 }, (evt, context) =>
        {
            _received.Enqueue(evt);
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return Task.CompletedTask;
        });
        _app.MapAutoCrmWebhook("/hooks/failing", Secret, (_, _) => throw new InvalidOperationException("the receiver's database is down"));
        await _app.StartAsync(Ct);
        _baseUrl = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? signature, Guid? delivery = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, path))
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
        }

        request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, "ticket.created");
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, (delivery ?? Guid.NewGuid()).ToString());
        return await _http.SendAsync(request, Ct);
    }

    private string Sign(string body, params string[] secrets) => WebhookSignature.CreateHeader(Encoding.UTF8.GetBytes(body), _time.GetUtcNow(), secrets);

    private static async Task<string> ProblemTitleAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return problem.RootElement.GetProperty("title").GetString()!;
    }

    [Fact]
    public async Task A_signed_request_reaches_the_handler_as_a_typed_event_with_its_delivery_id()
    {
        var delivery = Guid.NewGuid();

        using var response = await PostAsync("/hooks/simple", Body, Sign(Body, Secret), delivery);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var evt = Assert.Single(_received);
        Assert.Equal(WebhookEventType.TicketCreated, evt.Type);
        Assert.Equal(delivery, evt.DeliveryId);
        Assert.Equal("Printer on fire", evt.Ticket?.Subject);
    }

    [Fact]
    public async Task A_tampered_body_is_answered_400_signature_mismatch_and_never_reaches_the_handler()
    {
        var signature = Sign(Body, Secret);

        using var response = await PostAsync("/hooks/simple", Body.Replace("Printer on fire", "Printer is fine", StringComparison.Ordinal), signature);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("signature_mismatch", await ProblemTitleAsync(response));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task The_wrong_secret_or_no_signature_is_answered_400_with_the_reason()
    {
        using var wrong = await PostAsync("/hooks/simple", Body, Sign(Body, NewSecret));
        using var missing = await PostAsync("/hooks/simple", Body, signature: null);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal("signature_mismatch", await ProblemTitleAsync(wrong));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("signature_missing", await ProblemTitleAsync(missing));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_replay_after_the_tolerance_on_the_hosts_clock_is_answered_400_signature_expired()
    {
        var signature = Sign(Body, Secret);
        _time.Advance(WebhookSignature.DefaultTolerance + TimeSpan.FromSeconds(1));

        using var response = await PostAsync("/hooks/simple", Body, signature);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("signature_expired", await ProblemTitleAsync(response));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_receiver_holding_both_secrets_accepts_either_during_a_rotation_and_the_handler_sets_the_status()
    {
        using var old = await PostAsync("/hooks/rotating", Body, Sign(Body, Secret));
        using var both = await PostAsync("/hooks/rotating", Body, Sign(Body, NewSecret, Secret));
        using var next = await PostAsync("/hooks/rotating", Body, Sign(Body, NewSecret));

        Assert.All([old, both, next], r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(3, _received.Count);
    }

    [Fact]
    public async Task A_signed_body_that_is_not_an_event_is_answered_400_invalid_payload()
    {
        const string body = """{"hello": "world"}""";

        using var response = await PostAsync("/hooks/simple", body, Sign(body, Secret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_payload", await ProblemTitleAsync(response));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_answered_413_unread()
    {
        var body = Body.Replace("Printer on fire", new string('x', 4096), StringComparison.Ordinal);

        using var response = await PostAsync("/hooks/rotating", body, Sign(body, Secret));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_handler_that_throws_is_answered_500_so_the_dispatcher_retries()
    {
        using var response = await PostAsync("/hooks/failing", Body, Sign(Body, Secret));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task Only_post_is_mapped()
    {
        using var response = await _http.GetAsync(new Uri(_baseUrl, "/hooks/simple"), Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public void Mapping_without_a_usable_secret_or_with_a_non_positive_tolerance_is_a_validation_error()
    {
        Assert.Equal("secrets", Assert.Throws<CrmValidationException>(
            () => _app.MapAutoCrmWebhook("/x", new WebhookReceiverOptions { Secrets = [] }, (_, _) => Task.CompletedTask)).Field);
        Assert.Equal("secrets", Assert.Throws<CrmValidationException>(
            () => _app.MapAutoCrmWebhook("/x", " ", (_, _) => Task.CompletedTask)).Field);
        Assert.Equal("tolerance", Assert.Throws<CrmValidationException>(
            () => _app.MapAutoCrmWebhook("/x", new WebhookReceiverOptions { Secrets = [Secret], Tolerance = TimeSpan.Zero }, (_, _) => Task.CompletedTask)).Field);
    }
}
