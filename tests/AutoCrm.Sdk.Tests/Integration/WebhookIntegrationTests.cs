using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Sdk.Webhooks;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// <c>crm.Webhooks</c> against the shared DevStack, as an admin, an agent and a customer. No dispatcher runs on this
/// stack (the dispatcher's own tests have a stack of their own), so deliveries stay pending here; every endpoint points
/// at a closed port and is deleted at the end.
/// </summary>
public sealed class WebhookIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Url() => $"http://127.0.0.1:9/hooks/{Guid.NewGuid():N}";

    [Fact]
    public async Task Admins_create_list_change_rotate_test_and_delete_endpoints_and_the_secret_is_shown_only_once()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var url = Url();
        var created = await admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint
        {
            Url = url,
            Events = [WebhookEventType.TicketStatusChanged, WebhookEventType.TicketCreated],
            Description = "integration",
        }, Ct);
        try
        {
            Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
            Assert.Equal(url, created.Endpoint.Url);
            Assert.Equal([WebhookEventType.TicketCreated, WebhookEventType.TicketStatusChanged], created.Endpoint.Events);
            Assert.True(created.Endpoint.Active);
            Assert.Equal(created.Secret[^4..], created.Endpoint.SecretHint);

            var listed = await admin.Crm.Webhooks.ListAsync(Ct).ToListAsync(Ct);
            var mine = Assert.Single(listed, e => e.Id == created.Endpoint.Id);
            Assert.Equal("integration", mine.Description);

            var changed = await admin.Crm.Webhooks.UpdateAsync(created.Endpoint.Id, new WebhookEndpointPatch { Active = false, Description = "paused" }, Ct);
            Assert.False(changed.Active);
            Assert.Equal("paused", changed.Description);
            var read = await admin.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct);
            Assert.Equal((changed.Active, changed.Description, changed.UpdatedAt), (read.Active, read.Description, read.UpdatedAt));
            Assert.Equal(changed.Events, read.Events);
            var enabled = await admin.Crm.Webhooks.UpdateAsync(created.Endpoint.Id, new WebhookEndpointPatch { Active = true }, Ct);
            Assert.True(enabled.Active);

            var rotation = await admin.Crm.Webhooks.RotateSecretAsync(created.Endpoint.Id, TimeSpan.FromHours(1), Ct);
            Assert.NotEqual(created.Secret, rotation.Secret);
            Assert.NotNull(rotation.PreviousExpiresAt);
            Assert.Equal(rotation.Secret[^4..], (await admin.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct)).SecretHint);

            var test = await admin.Crm.Webhooks.SendTestAsync(created.Endpoint.Id, Ct);
            Assert.Equal(WebhookEventType.Test, test.EventType);
            Assert.Equal(WebhookDeliveryState.Pending, test.State);
            Assert.Equal(created.Endpoint.Id, test.EndpointId);
        }
        finally
        {
            await admin.Crm.Webhooks.DeleteAsync(created.Endpoint.Id, Ct);
        }

        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct));
    }

    [Fact]
    public async Task Deliveries_are_listed_newest_first_in_pages_with_their_attempts_filtered_and_redelivered()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var created = await admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [WebhookEventType.TicketCreated] }, Ct);
        try
        {
            var tickets = new List<Ticket>();
            for (var i = 0; i < 5; i++)
            {
                tickets.Add(await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = $"Hook page {i}" }, Ct));
            }

            var query = new WebhookDeliveryQuery { EndpointId = created.Endpoint.Id, PageSize = 2, IncludeAttempts = true };
            var pages = await admin.Crm.Webhooks.ListDeliveriesAsync(query, Ct).AsPages().ToListAsync(Ct);
            Assert.All(pages.SkipLast(1), p => Assert.Equal(2, p.Items.Count));
            Assert.InRange(pages[^1].Items.Count, 1, 2);
            var listed = pages.SelectMany(p => p.Items).ToList();
            Assert.Equal(listed.Count, listed.Select(d => d.Id).Distinct().Count());
            // Tests running at the same time on this DevStack create tickets too, and the endpoint takes every ticket.created:
            // ours must all be there, newest first, wherever others fall between them.
            var ours = tickets.Select(t => t.Id).ToHashSet();
            var all = listed.Where(d => d.TicketId is { } id && ours.Contains(id)).ToList();
            Assert.Equal(tickets.Select(t => t.Id).Reverse(), all.Select(d => d.TicketId!.Value));
            Assert.All(all, d =>
            {
                Assert.Equal(WebhookEventType.TicketCreated, d.EventType);
                Assert.Equal(WebhookDeliveryState.Pending, d.State);
                Assert.Empty(d.Attempts!);
                Assert.Equal("ticket.created", d.Payload.GetProperty("type").GetString());
            });

            // A token from this listing is refused by a listing with other filters.
            var token = pages[0].ContinuationToken!;
            await Assert.ThrowsAsync<CrmValidationException>(async () =>
                await admin.Crm.Webhooks.ListDeliveriesAsync(query with { State = WebhookDeliveryState.Failed }, Ct).AsPages(token).ToListAsync(Ct));

            var one = await admin.Crm.Webhooks.ListDeliveriesAsync(query with { TicketId = tickets[2].Id }, Ct).ToListAsync(Ct);
            Assert.Equal(tickets[2].Id, Assert.Single(one).TicketId);
            Assert.Empty(await admin.Crm.Webhooks.ListDeliveriesAsync(query with { State = WebhookDeliveryState.Delivered }, Ct).ToListAsync(Ct));

            var again = await admin.Crm.Webhooks.RedeliverAsync(one[0].Id, Ct);
            Assert.Equal(one[0].Id, again.Id);
            Assert.Equal(WebhookDeliveryState.Pending, again.State);
            Assert.Equal(one[0].Id, (await admin.Crm.Webhooks.GetDeliveryAsync(one[0].Id, Ct)).Id);
            await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Webhooks.GetDeliveryAsync(Guid.NewGuid(), Ct));
        }
        finally
        {
            await admin.Crm.Webhooks.DeleteAsync(created.Endpoint.Id, Ct);
        }
    }

    [Fact]
    public async Task Agents_and_customers_see_no_endpoints_or_deliveries_and_cannot_create_change_or_redeliver()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var created = await admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [WebhookEventType.TicketCreated] }, Ct);
        try
        {
            await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Hook visibility" }, Ct);
            var delivery = (await admin.Crm.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery { EndpointId = created.Endpoint.Id }, Ct).ToListAsync(Ct))[0];

            foreach (var user in new[] { agent, customer })
            {
                Assert.Empty(await user.Crm.Webhooks.ListAsync(Ct).ToListAsync(Ct));
                Assert.Empty(await user.Crm.Webhooks.ListDeliveriesAsync(cancellationToken: Ct).ToListAsync(Ct));
                await Assert.ThrowsAsync<CrmForbiddenException>(() =>
                    user.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [WebhookEventType.TicketCreated] }, Ct));
                await Assert.ThrowsAsync<CrmNotFoundException>(() => user.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct));
                await Assert.ThrowsAsync<CrmNotFoundException>(() =>
                    user.Crm.Webhooks.UpdateAsync(created.Endpoint.Id, new WebhookEndpointPatch { Active = false }, Ct));
                await Assert.ThrowsAnyAsync<CrmException>(() => user.Crm.Webhooks.RotateSecretAsync(created.Endpoint.Id, cancellationToken: Ct));
                await Assert.ThrowsAnyAsync<CrmException>(() => user.Crm.Webhooks.RedeliverAsync(delivery.Id, Ct));
            }

            Assert.True((await admin.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct)).Active);
            using var anon = stack.Client();
            var signedOut = await Assert.ThrowsAsync<CrmAuthException>(() => anon.Webhooks.ListAsync(Ct).ToListAsync(Ct));
            Assert.Equal("session_missing", signedOut.Code);
        }
        finally
        {
            await admin.Crm.Webhooks.DeleteAsync(created.Endpoint.Id, Ct);
        }
    }

    [Fact]
    public async Task Bad_input_is_a_typed_error_naming_the_field_and_changes_nothing()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var badUrl = await Assert.ThrowsAsync<CrmValidationException>(() =>
            admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = "ftp://example.test/x", Events = [WebhookEventType.TicketCreated] }, Ct));
        Assert.Equal("url", badUrl.Field);
        var noEvents = await Assert.ThrowsAsync<CrmValidationException>(() =>
            admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [] }, Ct));
        Assert.Equal("events", noEvents.Field);
        var unknown = await Assert.ThrowsAsync<CrmValidationException>(() =>
            admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [new WebhookEventType("ticket.exploded")] }, Ct));
        Assert.Equal("events", unknown.Field);

        var created = await admin.Crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = Url(), Events = [WebhookEventType.TicketCreated] }, Ct);
        try
        {
            var overlap = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Webhooks.RotateSecretAsync(created.Endpoint.Id, TimeSpan.FromDays(8), Ct));
            Assert.Equal("overlap_seconds", overlap.Field);
            var badPatch = await Assert.ThrowsAsync<CrmValidationException>(() =>
                admin.Crm.Webhooks.UpdateAsync(created.Endpoint.Id, new WebhookEndpointPatch { Url = "not a url", Active = false }, Ct));
            Assert.Equal("url", badPatch.Field);
            var unchanged = await admin.Crm.Webhooks.GetAsync(created.Endpoint.Id, Ct);
            Assert.True(unchanged.Active);
            Assert.Equal(created.Endpoint.Url, unchanged.Url);
            Assert.Equal(created.Secret[^4..], unchanged.SecretHint);
            await Assert.ThrowsAsync<CrmValidationException>(() =>
                admin.Crm.Webhooks.ListDeliveriesAsync(new WebhookDeliveryQuery { PageSize = 0 }, Ct).ToListAsync(Ct));
            await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Webhooks.RedeliverAsync(Guid.NewGuid(), Ct));
        }
        finally
        {
            await admin.Crm.Webhooks.DeleteAsync(created.Endpoint.Id, Ct);
        }
    }
}
