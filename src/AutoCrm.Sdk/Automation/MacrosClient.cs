using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Automation;

/// <summary>
/// Macros (<c>public.macros</c>): staff list the shared macros and their own, preview and apply them; agents keep personal
/// macros, admins shared ones. Applying runs as the caller (their permissions, in one transaction): a macro that would
/// move a ticket to a queue the agent is not a member of is refused with <see cref="CrmForbiddenException"/>. Get it from
/// <see cref="CrmClient.Macros"/>; see docs/automation.md.
/// </summary>
public class MacrosClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected MacrosClient()
    {
    }

    internal MacrosClient(RestClient rest) => _rest = rest;

    /// <summary>Lists the macros the caller may use, by name, counted (customers: none).</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    public virtual CrmPageable<Macro> ListAsync(CancellationToken cancellationToken = default) =>
        new RestListing<Macro>(
            _rest.From("macros"),
            new KeysetOrder("name", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.Macro,
            static m => (m.Name, m.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Creates a macro owned by the caller.</summary>
    /// <param name="macro">The macro.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The macro as stored.</returns>
    /// <exception cref="CrmValidationException">Refused; the message names the bad part (<c>field "actions": [0].type: …</c>).</exception>
    /// <exception cref="CrmForbiddenException">A customer, or an agent making a shared macro.</exception>
    public virtual async Task<Macro> CreateAsync(NewMacro macro, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(macro);
        using var activity = CrmTelemetry.StartCall("Macros.Create");
        try
        {
            Guard.NotBlank(macro.Name, "name");
            var rows = await _rest.From("macros").Insert(macro, CrmJsonContext.Default.NewMacro)
                .ToListAsync(CrmJsonContext.Default.Macro, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0
                ? rows[0]
                : throw new CrmForbiddenException(new CrmErrorInfo { Status = 403, Code = "42501", Message = "The caller cannot create this macro.", IsTransient = false });
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a macro the caller may change. Retried safely.</summary>
    /// <param name="id">The macro.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed macro.</returns>
    /// <exception cref="CrmNotFoundException">No such macro, or not the caller's to change.</exception>
    public virtual async Task<Macro> UpdateAsync(Guid id, MacroPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Macros.Update");
        try
        {
            var rows = await _rest.From("macros").Eq("id", id).AsIdempotent().Update(patch, CrmJsonContext.Default.MacroPatch)
                .ToListAsync(CrmJsonContext.Default.Macro, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw CrmErrors.NotFound($"Macro {id}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a macro the caller may change. Retried safely.</summary>
    /// <param name="id">The macro.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="CrmNotFoundException">No such macro, or not the caller's to delete.</exception>
    public virtual async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Macros.Delete");
        try
        {
            var rows = await _rest.From("macros").Eq("id", id).Select("id").Delete().AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
            {
                throw CrmErrors.NotFound($"Macro {id}");
            }
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>What applying a macro would do (<c>preview_macro</c>), placeholders filled; nothing is written.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="macroId">The macro.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The preview.</returns>
    /// <exception cref="CrmNotFoundException">The ticket or macro does not exist or is not visible to the caller.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an agent or admin.</exception>
    public virtual async Task<MacroPreview> PreviewAsync(Guid ticketId, Guid macroId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Macros.Preview");
        try
        {
            var result = await _rest.Rpc("preview_macro", new JsonObject { ["ticket_id"] = ticketId, ["macro_id"] = macroId })
                .AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return result.Deserialize(CrmJsonContext.Default.MacroPreview)
                ?? throw CrmErrors.InvalidResponse("macro preview", new JsonException("The preview was null."));
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Applies a macro to a ticket as the caller (<c>apply_macro</c>), atomically: its changes, notes and replies
    /// are written by the caller with the caller's permissions, and trigger automation rules like any change. Not retried
    /// (it adds messages).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="macroId">The macro.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the macro.</returns>
    /// <exception cref="CrmNotFoundException">The ticket or macro does not exist or is not visible to the caller.</exception>
    /// <exception cref="CrmForbiddenException">The caller may not make one of its changes (a queue they are not a member of), or is not staff.</exception>
    public virtual async Task<Ticket> ApplyAsync(Guid ticketId, Guid macroId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Macros.Apply");
        try
        {
            var rows = await _rest.Rpc("apply_macro", new JsonObject { ["ticket_id"] = ticketId, ["macro_id"] = macroId })
                .ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw CrmErrors.NotFound($"Ticket {ticketId}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }
}
