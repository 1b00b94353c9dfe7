using AutoCrm.Sdk;
using AutoCrm.Sdk.Webhooks;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Webhooks: the endpoints (add one, send it a test event, turn it on or off) and the delivery log, newest first, filtered
/// by endpoint and state and paged with the SDK's continuation tokens, each delivery with its attempts and a "Redeliver"
/// button. The database decides what an admin may do; its refusals (a URL that is not http(s), a stale page link) are
/// shown on the page, never as an error page. Delivery itself is a dispatcher's (docs/webhooks.md).
/// </summary>
public sealed class AdminWebhooksModel(UserCrm user) : PageModel
{
    public const int DefaultPageSize = 25;

    private const string CreatedKey = "admin/webhooks:created";

    /// <summary>The event types an endpoint can subscribe to (the test event goes to every endpoint anyway).</summary>
    public static readonly IReadOnlyList<WebhookEventType> SubscribableEvents =
    [
        WebhookEventType.TicketCreated, WebhookEventType.TicketUpdated, WebhookEventType.TicketStatusChanged,
        WebhookEventType.TicketAssigned, WebhookEventType.MessageCreated, WebhookEventType.SlaBreached, WebhookEventType.RuleNotify,
    ];

    [FromQuery(Name = "endpoint")]
    public Guid? EndpointFilter { get; set; }

    [FromQuery(Name = "state")]
    public string? StateFilter { get; set; }

    [FromQuery(Name = "page")]
    public string? PageToken { get; set; }

    [FromQuery(Name = "size")]
    public int? PageSize { get; set; }

    public IReadOnlyList<WebhookEndpoint> Endpoints { get; private set; } = [];

    public IReadOnlyList<WebhookDelivery> Deliveries { get; private set; } = [];

    /// <summary>The continuation token of the next page of the log; <see langword="null"/> on the last page.</summary>
    public string? NextPageToken { get; private set; }

    /// <summary>Why the log could not be listed as asked (a refused filter or page link).</summary>
    public string? LogProblem { get; private set; }

    /// <summary>Why the new endpoint was refused; the form keeps what was typed.</summary>
    public string? FormProblem { get; private set; }

    /// <summary>The secret of an endpoint just created: shown on the first page after the add, and never again.</summary>
    public CreatedWebhookEndpoint? Created { get; private set; }

    public string NewUrl { get; private set; } = "";

    public string NewDescription { get; private set; } = "";

    public IReadOnlyList<string> NewEvents { get; private set; } = [WebhookEventType.TicketCreated.Value];

    public bool NewInternalEvents { get; private set; }

    public string EndpointUrl(Guid id) => Endpoints.FirstOrDefault(e => e.Id == id)?.Url ?? id.ToString();

    /// <summary>A link to this page with the current filters and the given page token.</summary>
    public string Link(string? pageToken)
    {
        var query = new List<string>();
        if (EndpointFilter is { } endpoint)
        {
            query.Add("endpoint=" + endpoint);
        }

        if (StateFilter is { Length: > 0 } state)
        {
            query.Add("state=" + Uri.EscapeDataString(state));
        }

        if (PageSize is { } size)
        {
            query.Add("size=" + size);
        }

        if (pageToken is not null)
        {
            query.Add("page=" + Uri.EscapeDataString(pageToken));
        }

        return "/admin/webhooks" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
    }

    public Task OnGetAsync(CancellationToken cancellationToken)
    {
        Created = user.Session.TakeOnce<CreatedWebhookEndpoint>(CreatedKey);
        return LoadAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        var form = Request.Form;
        NewUrl = form["Url"].ToString().Trim();
        NewDescription = form["Description"].ToString().Trim();
        NewEvents = [.. form["Events"].Select(e => e ?? "").Where(e => e.Length > 0)];
        NewInternalEvents = form["InternalEvents"].Contains("true");
        CreatedWebhookEndpoint created;
        try
        {
            created = await crm.Webhooks.CreateAsync(
                new NewWebhookEndpoint
                {
                    Url = NewUrl,
                    Events = [.. NewEvents.Select(e => new WebhookEventType(e))],
                    Description = NewDescription.Length > 0 ? NewDescription : null,
                    InternalEvents = NewInternalEvents,
                },
                cancellationToken);
        }
        catch (CrmException ex) when (Refusal(ex))
        {
            // Rendered with the form as typed; posting it again is refused again, so a reload changes nothing.
            FormProblem = ex.Message;
            await LoadAsync(cancellationToken);
            return Page();
        }

        // POST-redirect-GET: a reload of the answer does not add the endpoint twice. The secret waits for the next page on
        // the server, in this browser's session (never in a cookie or a URL), and is shown by that page only.
        user.Session.KeepOnce(CreatedKey, created);
        return Redirect(Link(PageToken));
    }

    public Task<IActionResult> OnPostTestAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        ActAsync(async crm =>
        {
            var delivery = await crm.Webhooks.SendTestAsync(id, cancellationToken);
            return $"Test event queued for {delivery.EndpointId}: delivery {delivery.Id}.";
        }, cancellationToken);

    public Task<IActionResult> OnPostActiveAsync([FromForm] Guid id, [FromForm] bool active, CancellationToken cancellationToken) =>
        ActAsync(async crm =>
        {
            var endpoint = await crm.Webhooks.UpdateAsync(id, new WebhookEndpointPatch { Active = active }, cancellationToken);
            return $"{endpoint.Url} is {(endpoint.Active ? "on" : "off")}.";
        }, cancellationToken);

    public Task<IActionResult> OnPostRedeliverAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        ActAsync(async crm =>
        {
            var delivery = await crm.Webhooks.RedeliverAsync(id, cancellationToken);
            return $"Delivery {delivery.Id} queued again (same delivery id).";
        }, cancellationToken);

    /// <summary>Runs an action; a refusal becomes the page's error message, and the admin returns to the same view.</summary>
    private async Task<IActionResult> ActAsync(Func<CrmClient, Task<string>> action, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            TempData["Notice"] = await action(crm);
        }
        catch (CrmException ex) when (Refusal(ex))
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect(Link(PageToken));
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Endpoints = await crm.Webhooks.ListAsync(cancellationToken).ToListAsync(cancellationToken);
        WebhookDeliveryState? state = null;
        if (StateFilter is { Length: > 0 } text)
        {
            if (!Enum.TryParse<WebhookDeliveryState>(text, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                LogProblem = $"\"{text}\" is not a delivery state: use pending, delivered or failed.";
                return;
            }

            state = parsed;
        }

        try
        {
            var listing = crm.Webhooks.ListDeliveriesAsync(
                new WebhookDeliveryQuery { EndpointId = EndpointFilter, State = state, IncludeAttempts = true, PageSize = PageSize ?? DefaultPageSize },
                cancellationToken);
            await foreach (var page in listing.AsPages(PageToken).WithCancellation(cancellationToken))
            {
                Deliveries = page.Items;
                NextPageToken = page.ContinuationToken;
                break;
            }
        }
        catch (CrmException ex) when (Refusal(ex))
        {
            LogProblem = ex.Message;
        }
    }

    /// <summary>A refusal the admin can act on (bad value, stale link, not allowed, gone); not a signed-out session or an outage.</summary>
    private static bool Refusal(CrmException ex) => ex.Status is >= 400 and < 500 and not 401 || ex is CrmValidationException;
}
