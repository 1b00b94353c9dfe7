using System.Threading.Channels;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>What the demo's integrations step showed: full-text search, a CSAT rating and the queue's report, and a
/// signed webhook delivered to a local receiver.</summary>
internal sealed record DemoIntegrations
{
    /// <summary>The search query typed (the run's id), and how many of the customer's tickets it found.</summary>
    public required string SearchQuery { get; init; }

    public required int SearchHits { get; init; }

    /// <summary>The ticket the customer rated, and the rating given.</summary>
    public required long RatedTicketNumber { get; init; }

    public required string Rating { get; init; }

    /// <summary><c>report_summary</c> for today over the rated ticket's queue, read as the admin.</summary>
    public required long ReportCreated { get; init; }

    public required long ReportSolved { get; init; }

    public decimal? FirstReplyMedianMinutes { get; init; }

    public decimal? CsatPercent { get; init; }

    /// <summary>The webhook: its event, the ticket it carried, and whether the receiver verified its signature.</summary>
    public required string WebhookEvent { get; init; }

    public required long WebhookTicketNumber { get; init; }

    public required bool WebhookSignatureVerified { get; init; }
}

/// <summary>
/// The demo's integrations step, after the workload and the automation step: the admin registers a webhook endpoint
/// served by a real local HTTP receiver (Kestrel on a free loopback port), a customer files a ticket, and a
/// <see cref="WebhookDispatcher"/> with the service-role key delivers the signed <c>ticket.created</c> event, which the
/// receiver verifies with the endpoint's secret (the endpoint is deleted afterwards); the customer searches their
/// tickets for the run's id, a customer rates one of this run's solved tickets, and the admin reads that queue's report for today.
/// </summary>
internal static class DemoIntegrationsStep
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    internal static async Task<DemoIntegrations> RunAsync(
        CrmClient admin, IReadOnlyList<CrmClient> customers, Uri url, string serviceKey, IReadOnlyCollection<Guid> runTickets, string run,
        CancellationToken cancellationToken)
    {
        var customer = customers[0];

        // A signed webhook first: its ticket's subject names the run, so the search below has a known hit.
        var webhook = await DeliverWebhookAsync(admin, customer, url, serviceKey, run, cancellationToken).ConfigureAwait(false);

        // Search, as the customer: their tickets mentioning the run's id (the webhook's ticket, the automation step's).
        var hits = await customer.Tickets.SearchAsync(run, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);

        // CSAT: the first customer with a solved ticket of this run rates it; the admin reads that queue's day.
        var runSet = runTickets.ToHashSet();
        Ticket? solved = null;
        CrmClient? rater = null;
        foreach (var candidate in customers)
        {
            solved = await candidate.Tickets.ListAsync(new TicketQuery { Statuses = [TicketStatus.Solved] }, cancellationToken)
                .FirstOrDefaultAsync(t => runSet.Contains(t.Id), cancellationToken).ConfigureAwait(false);
            if (solved is not null)
            {
                rater = candidate;
                break;
            }
        }

        var scale = (await customer.Ratings.GetSettingsAsync(cancellationToken).ConfigureAwait(false)).CsatScale;
        var score = scale == CsatScale.GoodBad ? CsatScore.Good : CsatScore.Points(5);
        if (solved is not null && rater is not null)
        {
            await rater.Ratings.RateAsync(solved.Id, score, "Quick and friendly (demo)", cancellationToken).ConfigureAwait(false);
        }

        var today = DateTimeOffset.UtcNow.Date;
        var report = await admin.Reports.GetSummaryAsync(
            new DateTimeOffset(today, TimeSpan.Zero), new DateTimeOffset(today.AddDays(1), TimeSpan.Zero), solved?.QueueId, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

        return new DemoIntegrations
        {
            SearchQuery = run,
            SearchHits = hits.Count,
            RatedTicketNumber = solved?.Number ?? 0,
            Rating = solved is null ? "none (no solved ticket)" : score.ToString(),
            ReportCreated = report.TicketsCreated,
            ReportSolved = report.TicketsSolved,
            FirstReplyMedianMinutes = report.FirstReplyMedianMinutes,
            CsatPercent = report.CsatPercent,
            WebhookEvent = webhook.Event,
            WebhookTicketNumber = webhook.TicketNumber,
            WebhookSignatureVerified = webhook.Verified,
        };
    }

    private static async Task<(string Event, long TicketNumber, bool Verified)> DeliverWebhookAsync(
        CrmClient admin, CrmClient customer, Uri url, string serviceKey, string run, CancellationToken cancellationToken)
    {
        var received = Channel.CreateUnbounded<(string Body, string? Signature, string? Event)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hooks/{run}", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            received.Writer.TryWrite((body, request.Headers[WebhookSignature.SignatureHeader].ToString(), request.Headers[WebhookSignature.EventHeader].ToString()));
            return Results.NoContent();
        });
        await receiver.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var created = await admin.Webhooks.CreateAsync(
            new NewWebhookEndpoint { Url = $"{address}/hooks/{run}", Events = [WebhookEventType.TicketCreated], Description = $"autocrm demo {run}" },
            cancellationToken).ConfigureAwait(false);
        try
        {
            var ticket = await customer.Tickets.CreateAsync(new NewTicket { Subject = $"Webhook check ({run})", Description = "Filed to show a signed webhook." }, cancellationToken)
                .ConfigureAwait(false);
            using var dispatcher = new WebhookDispatcher(new WebhookDispatcherOptions { Url = url, ServiceRoleKey = serviceKey, Name = $"demo-{run}" });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(DeliveryTimeout);

            // Dispatch until this ticket's event arrives (other endpoints' due deliveries go out too, as any dispatcher's).
            var dispatching = Task.Run(() => dispatcher.RunAsync(timeout.Token), CancellationToken.None);
            try
            {
                await foreach (var (body, signature, type) in received.Reader.ReadAllAsync(timeout.Token).ConfigureAwait(false))
                {
                    if (!body.Contains(ticket.Id.ToString(), StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var verified = true;
                    try
                    {
                        WebhookSignature.Verify(body, signature, created.Secret, WebhookSignature.DefaultTolerance);
                    }
                    catch (CrmWebhookSignatureException)
                    {
                        verified = false;
                    }

                    return (type ?? "", ticket.Number, verified);
                }
            }
            finally
            {
                await timeout.CancelAsync().ConfigureAwait(false);
                try
                {
                    await dispatching.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            throw new TimeoutException($"The webhook for ticket #{ticket.Number} did not arrive within {DeliveryTimeout.TotalSeconds:0} s.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The demo's webhook did not arrive within {DeliveryTimeout.TotalSeconds:0} s.");
        }
        finally
        {
            await admin.Webhooks.DeleteAsync(created.Endpoint.Id, CancellationToken.None).ConfigureAwait(false);
            await receiver.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
