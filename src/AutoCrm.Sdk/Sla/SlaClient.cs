using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Sla;

/// <summary>
/// SLAs (docs/sla.md): business-hours calendars (<c>public.business_hours</c>) and SLA policies
/// (<c>public.sla_policies</c>), which admins manage and agents read, and the clocks of a ticket
/// (<c>public.ticket_slas</c>, staff). Refused values are <see cref="CrmValidationException"/>s whose
/// <see cref="CrmValidationException.Field"/> is the column (<c>time_zone</c>, <c>intervals</c>, <c>targets</c>,
/// <c>conditions</c>, …) and whose message names the bad part. Get it from <see cref="CrmClient.Sla"/>.
/// </summary>
public class SlaClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected SlaClient()
    {
    }

    internal SlaClient(RestClient rest) => _rest = rest;

    /// <summary>Lists the calendars by name (agents and admins; empty for customers), counted.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    /// <example><code>await foreach (var c in crm.Sla.ListCalendarsAsync()) Console.WriteLine($"{c.Name} ({c.TimeZone})");</code></example>
    public virtual CrmPageable<BusinessCalendar> ListCalendarsAsync(CancellationToken cancellationToken = default) =>
        new RestListing<BusinessCalendar>(
            _rest.From("business_hours"),
            new KeysetOrder("name", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.BusinessCalendar,
            static c => (c.Name, c.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads a calendar.</summary>
    /// <param name="id">The calendar.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="CrmNotFoundException">No such calendar, or the caller may not see it.</exception>
    public virtual async Task<BusinessCalendar> GetCalendarAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Sla.GetCalendar");
        try
        {
            return await GetCoreAsync("business_hours", "Business-hours calendar", id, CrmJsonContext.Default.BusinessCalendar, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Saves a new calendar (admins).</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The calendar as stored (holidays sorted, without duplicates).</returns>
    /// <exception cref="CrmValidationException">Refused: <see cref="CrmValidationException.Field"/> is <c>name</c>,
    /// <c>time_zone</c>, <c>intervals</c> or <c>holidays</c>.</exception>
    /// <exception cref="CrmConflictException">A calendar with this name exists.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<BusinessCalendar> CreateCalendarAsync(NewBusinessCalendar calendar, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        using var activity = CrmTelemetry.StartCall("Sla.CreateCalendar");
        try
        {
            Guard.NotBlank(calendar.Name, "name");
            var rows = await _rest.From("business_hours").Insert(calendar, CrmJsonContext.Default.NewBusinessCalendar)
                .ToListAsync(CrmJsonContext.Default.BusinessCalendar, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw Forbidden();
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a calendar (admins): only the properties set on <paramref name="patch"/> are sent. Running clocks
    /// keep the due times they have; clocks that start or resume later count in the changed calendar. Retried safely.</summary>
    /// <param name="id">The calendar.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed calendar.</returns>
    /// <exception cref="CrmNotFoundException">No such calendar, or the caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">The changed calendar is refused.</exception>
    public virtual async Task<BusinessCalendar> UpdateCalendarAsync(Guid id, BusinessCalendarPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Sla.UpdateCalendar");
        try
        {
            if (patch.Name is not null)
            {
                Guard.NotBlank(patch.Name, "name");
            }

            var rows = await _rest.From("business_hours").Eq("id", id).AsIdempotent()
                .Update(patch, CrmJsonContext.Default.BusinessCalendarPatch)
                .ToListAsync(CrmJsonContext.Default.BusinessCalendar, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw NotFound("Business-hours calendar", id);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a calendar (admins). Retried safely.</summary>
    /// <param name="id">The calendar.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="CrmNotFoundException">No such calendar, or the caller is not an admin.</exception>
    /// <exception cref="CrmConflictException">A policy still counts in it.</exception>
    public virtual async Task DeleteCalendarAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Sla.DeleteCalendar");
        try
        {
            await DeleteCoreAsync("business_hours", "Business-hours calendar", id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the policies in the order they are tried (position, then id; agents and admins), counted.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    public virtual CrmPageable<SlaPolicy> ListPoliciesAsync(CancellationToken cancellationToken = default) =>
        new RestListing<SlaPolicy>(
            _rest.From("sla_policies"),
            new KeysetOrder("position", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.SlaPolicy,
            static p => (CrmErrors.Invariant(p.Position), p.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads a policy.</summary>
    /// <param name="id">The policy.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="CrmNotFoundException">No such policy, or the caller may not see it.</exception>
    public virtual async Task<SlaPolicy> GetPolicyAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Sla.GetPolicy");
        try
        {
            return await GetCoreAsync("sla_policies", "SLA policy", id, CrmJsonContext.Default.SlaPolicy, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Saves a new policy (admins). It applies to clocks that start from then on.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The policy as stored.</returns>
    /// <exception cref="CrmValidationException">Refused: <see cref="CrmValidationException.Field"/> is <c>name</c>,
    /// <c>conditions</c> or <c>targets</c>.</exception>
    /// <exception cref="CrmConflictException">Its calendar does not exist.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<SlaPolicy> CreatePolicyAsync(NewSlaPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var activity = CrmTelemetry.StartCall("Sla.CreatePolicy");
        try
        {
            Guard.NotBlank(policy.Name, "name");
            var rows = await _rest.From("sla_policies").Insert(policy, CrmJsonContext.Default.NewSlaPolicy)
                .ToListAsync(CrmJsonContext.Default.SlaPolicy, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw Forbidden();
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a policy (admins): only the properties set on <paramref name="patch"/> are sent. Running clocks
    /// keep the targets they started with. Retried safely.</summary>
    /// <param name="id">The policy.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed policy.</returns>
    /// <exception cref="CrmNotFoundException">No such policy, or the caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">The changed policy is refused.</exception>
    public virtual async Task<SlaPolicy> UpdatePolicyAsync(Guid id, SlaPolicyPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Sla.UpdatePolicy");
        try
        {
            if (patch.Name is not null)
            {
                Guard.NotBlank(patch.Name, "name");
            }

            var update = _rest.From("sla_policies").Eq("id", id).AsIdempotent();
            update = patch.ClearsBusinessHours
                ? update.Update(CrmJsonBodies.WithNull(patch, CrmJsonContext.Default.SlaPolicyPatch, "business_hours_id"))
                : update.Update(patch, CrmJsonContext.Default.SlaPolicyPatch);
            var rows = await update
                .ToListAsync(CrmJsonContext.Default.SlaPolicy, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw NotFound("SLA policy", id);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a policy (admins); clocks it started keep running with their targets. Retried safely.</summary>
    /// <param name="id">The policy.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="CrmNotFoundException">No such policy, or the caller is not an admin.</exception>
    public virtual async Task DeletePolicyAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Sla.DeletePolicy");
        try
        {
            await DeleteCoreAsync("sla_policies", "SLA policy", id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the SLA clocks of a ticket (staff who can see the ticket; empty for customers), by metric.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (at most three clocks).</returns>
    public virtual CrmPageable<TicketSlaClock> ListClocksAsync(Guid ticketId, CancellationToken cancellationToken = default) =>
        new RestListing<TicketSlaClock>(
            _rest.From("ticket_slas").Eq("ticket_id", ticketId),
            new KeysetOrder("metric", "ticket_id", Descending: false),
            PageSize,
            CrmJsonContext.Default.TicketSlaClock,
            static c => (c.Metric, c.TicketId.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    private async Task<T> GetCoreAsync<T>(string table, string what, Guid id, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From(table).Eq("id", id).SingleAsync(typeInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"{what} {id}", ex);
        }
    }

    private async Task DeleteCoreAsync(string table, string what, Guid id, CancellationToken cancellationToken)
    {
        var rows = await _rest.From(table).Eq("id", id).Select("id").Delete().AsIdempotent()
            .ToJsonAsync(cancellationToken).ConfigureAwait(false);
        if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
        {
            throw NotFound(what, id);
        }
    }

    private static CrmNotFoundException NotFound(string what, Guid id) => CrmErrors.NotFound($"{what} {id}");

    private static CrmForbiddenException Forbidden() =>
        new(new CrmErrorInfo { Status = 403, Code = "not_admin", Message = "Only an admin can manage SLA calendars and policies.", IsTransient = false });
}
