using System.Collections.Concurrent;
using System.Net;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// The webhook admin page in the browser, with a real local receiver (Kestrel, verifying every signature) and the SDK's
/// dispatcher with the demo stack's service-role key: an admin adds an endpoint (a refused URL shows next to the form; the
/// secret is shown once, and a reload adds nothing), sends a test event, reads the failed first attempt in the log,
/// redelivers it, filters the log and pages through it; a stale page link is a message on the page, not an error page.
/// </summary>
public sealed class WebhooksBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Admin_adds_an_endpoint_sends_a_test_event_reads_the_failed_attempt_redelivers_filters_and_pages_the_log() =>
        RunAsync(nameof(Admin_adds_an_endpoint_sends_a_test_event_reads_the_failed_attempt_redelivers_filters_and_pages_the_log), async () =>
        {
            await using var receiver = await SigningReceiver.StartAsync();
            using var adminSdk = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            using var dispatcher = new WebhookDispatcher(new WebhookDispatcherOptions
            {
                Url = App.DevStack.Url,
                ServiceRoleKey = App.DevStack.ServiceRoleKey,
                Name = "browser-test",
            });
            var url = receiver.Url + "?run=" + Guid.NewGuid().ToString("N")[..8];
            var other = await adminSdk.Webhooks.CreateAsync(
                new NewWebhookEndpoint { Url = url + "&other", Events = [WebhookEventType.RuleNotify], Description = "the other one" }, Ct);
            receiver.Secrets.Add(other.Secret);
            try
            {
                var admin = await SignInAsync("admin@autocrm.demo", "Workspace");
                await admin.GotoAsync("/admin/webhooks");
                var form = admin.GetByTestId("webhook-form");

                // The database refuses a URL that is not http(s); the message shows next to the form, which keeps the input.
                await form.GetByLabel("URL").FillAsync("ftp://files.example/hooks");
                await form.GetByTestId("add-webhook").ClickAsync();
                await Expect(admin.GetByTestId("webhook-form-error")).ToContainTextAsync("is not an http or https URL", Contains);
                await Expect(form.GetByLabel("URL")).ToHaveValueAsync("ftp://files.example/hooks", new() { Timeout = 30_000 });

                // Added for rule.notify only (tickets other tests create queue nothing for it); the secret is shown once.
                await form.GetByLabel("URL").FillAsync(url);
                await form.GetByLabel("ticket.created").UncheckAsync();
                await form.GetByLabel("rule.notify").CheckAsync();
                await form.GetByTestId("add-webhook").ClickAsync();
                var secret = (await admin.GetByTestId("webhook-secret-value").TextContentAsync())!.Trim();
                Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
                receiver.Secrets.Add(secret);
                var row = admin.Locator($"[data-testid=webhook-endpoint][data-url='{url}']");
                await Expect(row).ToContainTextAsync("rule.notify", Contains);
                await Expect(row).ToContainTextAsync("…" + secret[^4..], Contains);
                // POST-redirect-GET: the answer is a GET, so a reload neither adds the endpoint again nor shows the secret again.
                Assert.Equal("/admin/webhooks", new Uri(admin.Url).AbsolutePath);
                await admin.ReloadAsync();
                await Expect(admin.GetByTestId("webhook-secret")).ToHaveCountAsync(0, Count);
                await Expect(row).ToHaveCountAsync(1, Count);
                var endpointId = (await adminSdk.Webhooks.ListAsync(Ct).ToListAsync(Ct)).Single(e => e.Url == url).Id;

                // A test event; the receiver fails the first attempt of every delivery with a 500.
                await row.GetByRole(AriaRole.Button, new() { Name = "Send test event" }).ClickAsync();
                await Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("Test event queued", Contains);
                await adminSdk.Webhooks.SendTestAsync(other.Endpoint.Id, Ct);
                Assert.True(await dispatcher.DispatchDueAsync(Ct) >= 2);

                await admin.GotoAsync($"/admin/webhooks?endpoint={endpointId}");
                var delivery = admin.GetByTestId("webhook-delivery");
                await Expect(delivery).ToHaveCountAsync(1, Count);
                await Expect(delivery.GetByTestId("webhook-delivery-state")).ToContainTextAsync("pending", Contains);
                await Expect(delivery.GetByTestId("webhook-delivery-attempts")).ToHaveTextAsync("1", Text);
                await Expect(delivery.GetByTestId("webhook-delivery-last")).ToContainTextAsync("500", Contains);
                await admin.GetByText("1 attempt", new() { Exact = true }).ClickAsync();
                await Expect(admin.GetByTestId("webhook-attempt")).ToContainTextAsync("browser-test", Contains);

                // Redeliver: queued again with the same delivery id, due now; the second attempt is delivered.
                var deliveryId = Guid.Parse((await delivery.GetAttributeAsync("data-delivery-id"))!);
                await delivery.GetByRole(AriaRole.Button, new() { Name = "Redeliver" }).ClickAsync();
                await Expect(admin.GetByRole(AriaRole.Status)).ToContainTextAsync("queued again", Contains);
                Assert.True(await dispatcher.DispatchDueAsync(Ct) >= 1);
                await admin.ReloadAsync();
                await Expect(delivery.GetByTestId("webhook-delivery-state")).ToHaveTextAsync("delivered", Text);
                await Expect(delivery.GetByTestId("webhook-delivery-attempts")).ToHaveTextAsync("2", Text);
                Assert.Equal(2, receiver.Seen.Count(d => d == deliveryId));
                Assert.Equal(0, receiver.Refused);

                // Filters: by state and by endpoint (the other endpoint's delivery is still pending).
                await admin.GetByTestId("webhook-filter").GetByLabel("State").SelectOptionAsync("failed");
                await admin.GetByTestId("webhook-filter").GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
                await Expect(admin.GetByTestId("webhook-log-empty")).ToBeVisibleAsync(Visible);
                await admin.GotoAsync($"/admin/webhooks?endpoint={other.Endpoint.Id}&state=pending");
                await Expect(delivery).ToHaveCountAsync(1, Count);
                await Expect(delivery).ToContainTextAsync(url + "&other", Contains);

                // Two more test events; two to a page: the newest two, then the first one, then no further page.
                await adminSdk.Webhooks.SendTestAsync(endpointId, Ct);
                await adminSdk.Webhooks.SendTestAsync(endpointId, Ct);
                await admin.GotoAsync($"/admin/webhooks?endpoint={endpointId}&size=2");
                await Expect(delivery).ToHaveCountAsync(2, Count);
                await admin.GetByTestId("webhook-next-page").ClickAsync();
                await Expect(delivery).ToHaveCountAsync(1, Count);
                await Expect(admin.Locator($"[data-testid=webhook-delivery][data-delivery-id='{deliveryId}']")).ToHaveCountAsync(1, Count);
                await Expect(admin.GetByTestId("webhook-next-page")).ToHaveCountAsync(0, Count);

                // A page link of another listing, or garbage, is refused by the SDK: a message, and the page still answers 200.
                var stale = new Uri(admin.Url).Query;
                var answer = await admin.GotoAsync($"/admin/webhooks?endpoint={other.Endpoint.Id}&size=2&" + stale.TrimStart('?').Split('&').Single(p => p.StartsWith("page=", StringComparison.Ordinal)));
                Assert.Equal(200, answer!.Status);
                await Expect(admin.GetByTestId("webhook-log-error")).ToBeVisibleAsync(Visible);
                answer = await admin.GotoAsync("/admin/webhooks?page=not-a-token&state=shipped");
                Assert.Equal(200, answer!.Status);
                await Expect(admin.GetByTestId("webhook-log-error")).ToContainTextAsync("not a delivery state", Contains);
            }
            finally
            {
                foreach (var endpoint in await adminSdk.Webhooks.ListAsync(Ct).ToListAsync(Ct))
                {
                    if (endpoint.Url.StartsWith(url, StringComparison.Ordinal))
                    {
                        await adminSdk.Webhooks.DeleteAsync(endpoint.Id, Ct);
                    }
                }
            }
        });

    /// <summary>A real receiver: Kestrel on a free port; each request's signature is verified against the secrets it holds;
    /// the first attempt of each delivery is answered 500, later ones 200.</summary>
    private sealed class SigningReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _refused;

        private SigningReceiver(WebApplication app) => _app = app;

        public ConcurrentBag<string> Secrets { get; } = [];

        /// <summary>The delivery id of every verified request, in arrival order.</summary>
        public ConcurrentQueue<Guid> Seen { get; } = new();

        public int Refused => Volatile.Read(ref _refused);

        public string Url { get; private set; } = "";

        public static async Task<SigningReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var receiver = new SigningReceiver(app);
            app.MapPost("/hooks", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                try
                {
                    WebhookSignature.Verify(body.ToArray(), context.Request.Headers["AutoCrm-Signature"], [.. receiver.Secrets], WebhookSignature.DefaultTolerance, DateTimeOffset.UtcNow);
                }
                catch (CrmWebhookSignatureException)
                {
                    Interlocked.Increment(ref receiver._refused);
                    return Results.BadRequest();
                }

                var delivery = Guid.Parse(context.Request.Headers["AutoCrm-Delivery"].ToString());
                var first = !receiver.Seen.Contains(delivery);
                receiver.Seen.Enqueue(delivery);
                return first ? Results.StatusCode(500) : Results.Ok();
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
            return receiver;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
