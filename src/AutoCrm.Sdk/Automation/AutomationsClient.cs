using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Automation;

/// <summary>
/// Automation rules (<c>public.automation_rules</c>): admins list, create, change, enable, disable, delete and dry-run them.
/// The database runs them on every ticket change, whichever client makes it; a rule that could not run as written is
/// refused when saved with a <see cref="CrmValidationException"/> whose message names the bad part
/// (<c>field "conditions": all[0].operator: …</c>). Get it from <see cref="CrmClient.Automations"/>; see docs/automation.md.
/// </summary>
public class AutomationsClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected AutomationsClient()
    {
    }

    internal AutomationsClient(RestClient rest) => _rest = rest;

    /// <summary>Lists the rules in evaluation order (position, then id), counted. Only admins see rules; for anyone
    /// else the listing is empty.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    /// <example><code>await foreach (var rule in crm.Automations.ListAsync()) Console.WriteLine($"{rule.Position} {rule.Name}");</code></example>
    public virtual CrmPageable<AutomationRule> ListAsync(CancellationToken cancellationToken = default) =>
        new RestListing<AutomationRule>(
            _rest.From("automation_rules"),
            new KeysetOrder("position", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.AutomationRule,
            static r => (CrmErrors.Invariant(r.Position), r.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads a rule.</summary>
    /// <param name="id">The rule.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="CrmNotFoundException">No such rule, or the caller is not an admin.</exception>
    public virtual async Task<AutomationRule> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Automations.Get");
        try
        {
            return await GetCoreAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Saves a new rule (admins). It runs from the next change on.</summary>
    /// <param name="rule">The rule.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule as stored.</returns>
    /// <exception cref="CrmValidationException">The rule is refused; <see cref="Exception.Message"/> names the bad part and
    /// <see cref="CrmValidationException.Field"/> is <c>conditions</c> or <c>actions</c>.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<AutomationRule> CreateAsync(NewAutomationRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        using var activity = CrmTelemetry.StartCall("Automations.Create");
        try
        {
            Guard.NotBlank(rule.Name, "name");
            var rows = await _rest.From("automation_rules").Insert(rule, CrmJsonContext.Default.NewAutomationRule)
                .ToListAsync(CrmJsonContext.Default.AutomationRule, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw Forbidden();
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a rule (admins): only the properties set on <paramref name="patch"/> are sent. Retried safely.</summary>
    /// <param name="id">The rule.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed rule.</returns>
    /// <exception cref="CrmNotFoundException">No such rule, or the caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">The changed rule is refused.</exception>
    public virtual async Task<AutomationRule> UpdateAsync(Guid id, AutomationRulePatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Automations.Update");
        try
        {
            return await UpdateCoreAsync(id, patch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Enables a rule (admins). Retried safely.</summary>
    /// <param name="id">The rule.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="CrmNotFoundException">No such rule, or the caller is not an admin.</exception>
    public virtual async Task<AutomationRule> EnableAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Automations.Enable");
        try
        {
            return await UpdateCoreAsync(id, new AutomationRulePatch { Active = true }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Disables a rule (admins): it is kept but does not run. Retried safely.</summary>
    /// <param name="id">The rule.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="CrmNotFoundException">No such rule, or the caller is not an admin.</exception>
    public virtual async Task<AutomationRule> DisableAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Automations.Disable");
        try
        {
            return await UpdateCoreAsync(id, new AutomationRulePatch { Active = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a rule (admins); its past firings stay in ticket histories with its name. Retried safely.</summary>
    /// <param name="id">The rule.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="CrmNotFoundException">No such rule, or the caller is not an admin.</exception>
    public virtual async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Automations.Delete");
        try
        {
            var rows = await _rest.From("automation_rules").Eq("id", id).Select("id").Delete().AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
            {
                throw NotFound(id);
            }
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Dry run (admins, <c>test_automation_rules</c>): which rules would fire for a ticket and a change, and what
    /// they would do. Nothing is written.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="test">The imagined change (and optionally the rules to try instead of the saved ones).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The firings, stops and the resulting ticket.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">A tried rule is refused.</exception>
    /// <example><code>var result = await crm.Automations.TestAsync(ticket.Id, new RuleTest { Priority = TicketPriority.Urgent });</code></example>
    public virtual async Task<RuleTestResult> TestAsync(Guid ticketId, RuleTest test, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(test);
        using var activity = CrmTelemetry.StartCall("Automations.Test");
        try
        {
            var changes = new JsonObject();
            if (test.Status is { } status)
            {
                changes["status"] = EnumText.Get(status);
            }

            if (test.Priority is { } priority)
            {
                changes["priority"] = EnumText.Get(priority);
            }

            if (test.QueueId is { } queue)
            {
                changes["queue_id"] = queue.ToString("D");
            }

            if (test.AssigneeId is { } assignee)
            {
                changes["assignee_id"] = assignee.ToString("D");
            }

            if (test.Tags is { } tags)
            {
                changes["tags"] = new JsonArray(tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            }

            if (test.Subject is { } subject)
            {
                changes["subject"] = subject;
            }

            if (test.Metadata is { } metadata)
            {
                changes["metadata"] = JsonNode.Parse(metadata.RootElement.GetRawText());
            }

            var arguments = new JsonObject
            {
                ["ticket_id"] = ticketId,
                ["event"] = EnumText.Get(test.Event),
                ["changes"] = changes,
            };
            if (test.MessageBody is { } body)
            {
                arguments["message"] = new JsonObject
                {
                    ["body"] = body,
                    ["visibility"] = EnumText.Get(test.MessageVisibility ?? Tickets.MessageVisibility.Public),
                    ["author_role"] = test.MessageAuthorRole ?? "customer",
                };
            }

            if (test.Rules is { } rules)
            {
                arguments["rules"] = JsonNode.Parse(JsonSerializer.Serialize(rules, CrmJsonContext.Default.IReadOnlyListNewAutomationRule));
            }

            var result = await _rest.Rpc("test_automation_rules", arguments).AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return result.Deserialize(CrmJsonContext.Default.RuleTestResult)
                ?? throw CrmErrors.InvalidResponse("dry run", new JsonException("The dry run returned null."));
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<AutomationRule> UpdateCoreAsync(Guid id, AutomationRulePatch patch, CancellationToken cancellationToken)
    {
        var update = _rest.From("automation_rules").Eq("id", id).AsIdempotent();
        update = patch.ClearsTimer
            ? update.Update(CrmJsonBodies.WithNull(patch, CrmJsonContext.Default.AutomationRulePatch, "timer"))
            : update.Update(patch, CrmJsonContext.Default.AutomationRulePatch);
        var rows = await update
            .ToListAsync(CrmJsonContext.Default.AutomationRule, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : throw NotFound(id);
    }

    private async Task<AutomationRule> GetCoreAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("automation_rules").Eq("id", id).SingleAsync(CrmJsonContext.Default.AutomationRule, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"Automation rule {id}", ex);
        }
    }

    private static CrmNotFoundException NotFound(Guid id) => CrmErrors.NotFound($"Automation rule {id}");

    private static CrmForbiddenException Forbidden() =>
        new(new CrmErrorInfo { Status = 403, Code = "not_admin", Message = "Only an admin can manage automation rules.", IsTransient = false });
}
