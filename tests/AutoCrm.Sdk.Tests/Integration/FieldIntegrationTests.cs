using System.Text.Json.Serialization;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>A consumer's own metadata type: custom field values with their .NET types, plus a free-form key.</summary>
public sealed record SubscriptionInfo
{
    public string? ItPlan { get; init; }
    public DateOnly? ItRenewal { get; init; }
    public long? ItSeats { get; init; }
    public IReadOnlyList<string>? ItLangs { get; init; }
    public decimal? ItAmount { get; init; }
    public string? Channel { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubscriptionInfo))]
public sealed partial class FieldTestJsonContext : JsonSerializerContext;

/// <summary>
/// Custom fields through the SDK against the DevStack. The stack is shared by every integration test, so these fields are
/// never required (a required field would hold other tests' tickets to it) and their keys belong to this class alone.
/// </summary>
public sealed class FieldIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Typed_metadata_and_field_values_go_end_to_end_and_agent_only_values_stay_with_staff()
    {
        var queue = await stack.CreateQueueAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        await admin.Crm.Fields.CreateAsync(new NewTicketField
        {
            Key = "it_plan", Label = "Plan", Type = TicketFieldType.Dropdown, CustomerVisible = true, CustomerEditable = true,
            Options = [new() { Value = "free", Label = "Free" }, new() { Value = "pro", Label = "Pro" }],
        }, Ct);
        await admin.Crm.Fields.CreateAsync(new NewTicketField { Key = "it_renewal", Label = "Renewal", Type = TicketFieldType.Date, CustomerVisible = true, CustomerEditable = true }, Ct);
        await admin.Crm.Fields.CreateAsync(new NewTicketField { Key = "it_seats", Label = "Seats", Type = TicketFieldType.Integer, CustomerVisible = true, CustomerEditable = true }, Ct);
        await admin.Crm.Fields.CreateAsync(new NewTicketField
        {
            Key = "it_langs", Label = "Languages", Type = TicketFieldType.Multiselect, CustomerVisible = true, CustomerEditable = true,
            Options = [new() { Value = "en", Label = "English" }, new() { Value = "fr", Label = "French" }],
        }, Ct);
        await admin.Crm.Fields.CreateAsync(new NewTicketField { Key = "it_amount", Label = "Amount", Type = TicketFieldType.Decimal, CustomerVisible = true }, Ct);
        var vip = await admin.Crm.Fields.CreateAsync(new NewTicketField { Key = "it_vip", Label = "VIP", Type = TicketFieldType.Checkbox }, Ct);
        Assert.False(vip.CustomerVisible);
        Assert.True(vip.Active);

        string[] order = ["it_vip", "it_plan", "it_renewal", "it_seats", "it_langs", "it_amount"];
        var ordered = await admin.Crm.Fields.ReorderAsync(order, Ct);
        Assert.Equal(order, ordered.Where(f => f.Key.StartsWith("it_", StringComparison.Ordinal)).Select(f => f.Key));
        Assert.Equal([1, 2], ordered.Where(f => f.Key is "it_vip" or "it_plan").Select(f => f.Position));
        var seen = (await customer.Crm.Fields.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Select(f => f.Key).ToList();
        Assert.Contains("it_plan", seen);
        Assert.DoesNotContain("it_vip", seen);
        Assert.Equal(TicketFieldType.Checkbox, (await agent.Crm.Fields.GetAsync("it_vip", Ct)).Type);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Fields.GetAsync("it_vip", Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Fields.CreateAsync(new NewTicketField { Key = "it_nope", Label = "No", Type = TicketFieldType.Text }, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Fields.ArchiveAsync("it_plan", Ct));

        // The customer's own record type, in and out.
        var info = new SubscriptionInfo { ItPlan = "pro", ItRenewal = new DateOnly(2027, 2, 28), ItSeats = 25, ItLangs = ["en", "fr"], Channel = "web" };
        var created = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Renewal", QueueId = queue.Id }, info, FieldTestJsonContext.Default.SubscriptionInfo, Ct);
        Assert.Equal(info with { ItLangs = null }, created.GetMetadata(FieldTestJsonContext.Default.SubscriptionInfo)! with { ItLangs = null });
        Assert.Equal(["en", "fr"], created.GetMetadata(FieldTestJsonContext.Default.SubscriptionInfo)!.ItLangs!);
        Assert.Equal(new DateOnly(2027, 2, 28), created.Metadata.GetFieldValue("it_renewal").AsDate());
        Assert.Equal(25, created.Metadata.GetFieldValue("it_seats").AsInteger());

        // An agent-only value: set by staff, invisible to the customer on every path the SDK reads.
        var staffValues = await agent.Crm.Fields.SetValueAsync(created.Id, "it_vip", TicketFieldValue.Checkbox(true), Ct);
        Assert.True(staffValues.GetFieldValue("it_vip").AsCheckbox());
        var merged = await agent.Crm.Tickets.MergeMetadataAsync(created.Id, new SubscriptionInfo { ItAmount = 12.50m }, FieldTestJsonContext.Default.SubscriptionInfo, cancellationToken: Ct);
        Assert.Equal(12.50m, merged.Metadata.GetFieldValue("it_amount").AsDecimal());
        Assert.Equal("pro", merged.Metadata.GetFieldValue("it_plan").AsText());
        var customerTicket = await customer.Crm.Tickets.GetAsync(created.Id, TicketInclude.Events, Ct);
        Assert.False(customerTicket.Metadata.TryGetProperty("it_vip", out _));
        Assert.True((await customer.Crm.Fields.GetValuesAsync(created.Id, Ct)).GetFieldValue("it_vip").IsNone);
        Assert.True((await agent.Crm.Fields.GetValuesAsync(created.Id, Ct)).GetFieldValue("it_vip").AsCheckbox());
        Assert.All(customerTicket.Events!, e => Assert.Equal(MessageVisibility.Public, e.Visibility));
        Assert.DoesNotContain(customerTicket.Events!, e => e.Changes.ContainsKey("it_vip"));
        var staffEvents = await agent.Crm.Tickets.ListEventsAsync(created.Id, Ct).ToListAsync(Ct);
        var vipEvent = Assert.Single(staffEvents, e => e.Kind == TicketEventKind.FieldsChanged && e.Changes.ContainsKey("it_vip"));
        Assert.Equal(MessageVisibility.Internal, vipEvent.Visibility);
        Assert.True(vipEvent.Changes["it_vip"].New.GetBoolean());

        // Filtering by field values: customer-visible ones in the ticket row, agent-only ones through their own table.
        var query = new TicketQuery
        {
            QueueId = queue.Id,
            FieldValues = new Dictionary<string, TicketFieldValue> { ["it_plan"] = TicketFieldValue.Option("pro"), ["it_langs"] = TicketFieldValue.Options(["fr"]) },
            AgentFieldValues = new Dictionary<string, TicketFieldValue> { ["it_vip"] = TicketFieldValue.Checkbox(true) },
        };
        Assert.Equal([created.Id], (await agent.Crm.Tickets.ListAsync(query, Ct).ToListAsync(Ct)).Select(t => t.Id));
        Assert.Empty(await customer.Crm.Tickets.ListAsync(query, Ct).ToListAsync(Ct));
        Assert.Empty(await agent.Crm.Tickets.ListAsync(query with { AgentFieldValues = new Dictionary<string, TicketFieldValue> { ["it_vip"] = TicketFieldValue.Checkbox(false) } }, Ct).ToListAsync(Ct));
        Assert.Equal(
            [created.Id],
            (await customer.Crm.Tickets.ListAsync(query with { AgentFieldValues = null }, Ct).ToListAsync(Ct)).Select(t => t.Id));

        // The database's refusals arrive as typed exceptions naming the field.
        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Tickets.MergeMetadataAsync(
            created.Id, CrmMetadata.Empty.WithFieldValue("it_plan", TicketFieldValue.Option("platinum")), cancellationToken: Ct));
        Assert.Equal("it_plan", refused.Field);
        Assert.Equal("field \"it_plan\": \"platinum\" is not one of free, pro", refused.Message);
        var wrongType = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Tickets.UpdateMetadataAsync(
            created.Id, customerTicket.Metadata.With("it_renewal", TicketFieldValue.Text("next spring").Json), cancellationToken: Ct));
        Assert.Equal("it_renewal", wrongType.Field);
        var notEditable = await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Fields.SetValueAsync(created.Id, "it_amount", TicketFieldValue.Decimal(1m), Ct));
        Assert.StartsWith("field \"it_amount\": ", notEditable.Message, StringComparison.Ordinal);
        var current = await customer.Crm.Tickets.GetAsync(created.Id, cancellationToken: Ct);
        Assert.Equal(merged.Metadata, current.Metadata);

        // Replace the metadata: the agent-only value stays; a stale version is refused.
        var replaced = await customer.Crm.Tickets.UpdateMetadataAsync(created.Id, current.Metadata.Without("channel").WithFieldValue("it_seats", TicketFieldValue.None), current.Version, Ct);
        Assert.True(replaced.Metadata.GetFieldValue("it_seats").IsNone);
        Assert.False(replaced.Metadata.TryGetProperty("channel", out _));
        Assert.True((await agent.Crm.Fields.GetValuesAsync(created.Id, Ct)).GetFieldValue("it_vip").AsCheckbox());
        var stale = await Assert.ThrowsAsync<CrmConflictException>(() => customer.Crm.Tickets.MergeMetadataAsync(created.Id, CrmMetadata.Parse("""{"channel":"mail"}"""), current.Version, Ct));
        Assert.Equal("version_mismatch", stale.Code);

        // Archived: the value is kept, no new one is accepted.
        var archived = await admin.Crm.Fields.ArchiveAsync("it_plan", Ct);
        Assert.False(archived.Active);
        Assert.DoesNotContain("it_plan", (await admin.Crm.Fields.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Select(f => f.Key));
        Assert.Contains("it_plan", (await admin.Crm.Fields.ListAsync(includeArchived: true, Ct).ToListAsync(Ct)).Select(f => f.Key));
        var archivedWrite = await Assert.ThrowsAsync<CrmValidationException>(() => agent.Crm.Fields.SetValueAsync(created.Id, "it_plan", TicketFieldValue.Option("free"), Ct));
        Assert.Equal("it_plan", archivedWrite.Field);
        Assert.Equal("pro", (await agent.Crm.Tickets.GetAsync(created.Id, cancellationToken: Ct)).Metadata.GetFieldValue("it_plan").AsText());
        var restored = await admin.Crm.Fields.UpdateAsync("it_plan", new TicketFieldPatch { Active = true, Label = "Subscription plan" }, Ct);
        Assert.True(restored.Active);
        Assert.Equal("Subscription plan", restored.Label);
        Assert.Equal(TicketFieldType.Dropdown, restored.Type);
    }

    [Fact]
    public void Field_values_read_and_write_their_dotnet_types()
    {
        Assert.Equal("\"2026-03-01\"", TicketFieldValue.Date(new DateOnly(2026, 3, 1)).ToString());
        Assert.Equal("12.50", TicketFieldValue.Decimal(12.50m).ToString());
        Assert.Equal("""["a","b"]""", TicketFieldValue.Options(["a", "b"]).ToString());
        Assert.True(TicketFieldValue.Text("").IsNone);
        Assert.True(TicketFieldValue.Options([]).IsNone);
        Assert.Equal(TicketFieldValue.Integer(7), CrmMetadata.Parse("""{"n":7}""").GetFieldValue("n"));
        Assert.Equal(["x"], CrmMetadata.Parse("""{"d":"x"}""").GetFieldValue("d").AsOptions());
        Assert.Null(CrmMetadata.Empty.GetFieldValue("missing").AsDate());
        var notADate = Assert.Throws<CrmValidationException>(() => TicketFieldValue.Text("soon").AsDate());
        Assert.Equal("invalid_value", notADate.Code);
        Assert.Equal("""{"n":null}""", CrmMetadata.Parse("""{"n":7}""").WithFieldValue("n", TicketFieldValue.None).ToString());
        var noValueFilter = new TicketQuery { FieldValues = new Dictionary<string, TicketFieldValue> { ["plan"] = TicketFieldValue.None } };
        var refused = Assert.Throws<CrmValidationException>(() => stack.Service.Tickets.ListAsync(noValueFilter, Ct));
        Assert.Equal("plan", refused.Field);
    }
}
