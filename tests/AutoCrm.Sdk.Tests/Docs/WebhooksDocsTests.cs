using System.Collections.Concurrent;
using System.Net;
using System.Text;
using AutoCrm.Sdk.AspNetCore;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Tests.Docs;

#region receiver
/// <summary>A receiver's own code: remembers delivery ids, so a retried delivery is acknowledged and not acted on twice.</summary>
public static class TicketHooks
{
    public static void MapTicketHooks(this WebApplication app, string secret, ConcurrentDictionary<Guid, WebhookEvent> handled)
    {
        app.MapAutoCrmWebhook("/hooks/autocrm", secret, (evt, cancellationToken) =>
        {
            if (!handled.TryAdd(evt.DeliveryId ?? evt.Id, evt))
            {
                return Task.CompletedTask; // a retry of a delivery already handled: answer 200 again
            }

            if (evt.Type == WebhookEventType.TicketCreated)
            {
                Console.WriteLine($"New ticket #{evt.Ticket!.Number}: {evt.Ticket.Subject}");
            }

            return Task.CompletedTask;
        });
    }
}
#endregion

/// <summary>The C# receiver of docs/webhooks.md, run on a real Kestrel listener; the page is checked to show it verbatim.</summary>
public sealed class WebhooksDocsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_receiver_acts_once_per_delivery_and_refuses_unsigned_requests()
    {
        const string secret = "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var handled = new ConcurrentDictionary<Guid, WebhookEvent>();
        app.MapTicketHooks(secret, handled);
        await app.StartAsync(Ct);
        var url = new Uri(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), "/hooks/autocrm");
        using var http = new HttpClient();
        const string body = """{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "type": "ticket.created", "created_at": "2026-12-05T02:00:00+00:00", "data": {"ticket": {"id": "8a0b3c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d", "number": 42, "subject": "Printer on fire"}}}""";
        var delivery = Guid.NewGuid();

        async Task<HttpStatusCode> SendAsync(string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, delivery.ToString());
            if (signature is not null)
            {
                request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
            }

            using var response = await http.SendAsync(request, Ct);
            return response.StatusCode;
        }

        var signature = WebhookSignature.CreateHeader(Encoding.UTF8.GetBytes(body), DateTimeOffset.UtcNow, [secret]);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(signature));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(signature));
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(null));
        Assert.Equal(42L, Assert.Single(handled).Value.Ticket?.Number);
    }

    [Fact]
    public async Task The_page_shows_the_receiver_verbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AutoCrm.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var source = await File.ReadAllLinesAsync(Path.Combine(root, "tests", "AutoCrm.Sdk.Tests", "Docs", "WebhooksDocsTests.cs"), Ct);
        var page = (await File.ReadAllTextAsync(Path.Combine(root, "docs", "webhooks.md"), Ct)).ReplaceLineEndings("\n");
        var start = Array.FindIndex(source, l => l.Trim() == "#region receiver") + 1;
        var end = Array.FindIndex(source, start, l => l.Trim() == "#endregion");
        var code = string.Join("\n", source[start..end]);
        Assert.True(page.Contains(code, StringComparison.Ordinal), $"docs/webhooks.md does not show the receiver verbatim:\n{code}");
    }
}
