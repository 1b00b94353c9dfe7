using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Reports;

/// <summary>
/// CSAT (docs/reports.md): a requester rates a solved ticket once per solve and may change the rating for 7 days;
/// agents read the ratings of the tickets they see; admins choose the scale. Get it from <see cref="CrmClient.Ratings"/>.
/// </summary>
public class RatingsClient
{
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected RatingsClient()
    {
    }

    internal RatingsClient(RestClient rest) => _rest = rest;

    /// <summary>Rates the ticket's latest solve as its requester, or changes that rating (score and comment together)
    /// within 7 days of giving it (<c>rate_ticket</c>).</summary>
    /// <param name="ticketId">The ticket (solved or closed).</param>
    /// <param name="score">Good or bad, or 1–5, as the admins' scale says.</param>
    /// <param name="comment">An optional comment (at most 2,000 characters); null or blank clears it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rating as stored.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or not the caller's.</exception>
    /// <exception cref="CrmConflictException">The ticket is not solved.</exception>
    /// <exception cref="CrmValidationException">A score off the scale (field <c>rating</c>) or a long comment (field <c>comment</c>).</exception>
    /// <exception cref="CrmForbiddenException">The 7 days to change the rating are over.</exception>
    /// <example><code>await crm.Ratings.RateAsync(ticket.Id, CsatScore.Good, "Quick and friendly");</code></example>
    public virtual async Task<TicketRating> RateAsync(Guid ticketId, CsatScore score, string? comment = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Ratings.Rate");
        try
        {
            Guard.NotBlank(score.Value, "rating");
            if (comment is { Length: > 2000 })
            {
                throw CrmErrors.Invalid("comment", "field \"comment\": at most 2000 characters");
            }

            return await _rest.Rpc("rate_ticket", new JsonObject { ["ticket_id"] = ticketId, ["rating"] = score.Value, ["comment"] = comment })
                .AsIdempotent().SingleAsync(CrmJsonContext.Default.TicketRating, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>The ratings of one ticket the caller can see, one per rated solve, first solve first.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ratings (empty when none, or when the caller may not see them).</returns>
    public virtual async Task<IReadOnlyList<TicketRating>> GetForTicketAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Ratings.GetForTicket");
        try
        {
            return await _rest.From("ticket_ratings").Eq("ticket_id", ticketId).Order("resolution").AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.TicketRating, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads the report settings (the scale, the reporting calendar).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The settings.</returns>
    public virtual async Task<ReportSettings> GetSettingsAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Ratings.GetSettings");
        try
        {
            return await _rest.From("report_settings").SingleAsync(CrmJsonContext.Default.ReportSettings, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets the scale new ratings use and the reporting calendar (admins). Retried safely.</summary>
    /// <param name="scale">The scale.</param>
    /// <param name="businessHoursId">The calendar business minutes are counted in when a ticket's SLA has none; null: none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The settings as stored.</returns>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<ReportSettings> UpdateSettingsAsync(CsatScale scale, Guid? businessHoursId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Ratings.UpdateSettings");
        try
        {
            var patch = new JsonObject { ["csat_scale"] = EnumText.Get(scale), ["business_hours_id"] = businessHoursId };
            var rows = await _rest.From("report_settings").Eq("id", true).AsIdempotent().Update(patch)
                .ToListAsync(CrmJsonContext.Default.ReportSettings, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw new CrmForbiddenException(new CrmErrorInfo
            {
                Status = 403, Code = "not_admin", Message = "Only admins change the report settings.", IsTransient = false,
            });
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }
}
