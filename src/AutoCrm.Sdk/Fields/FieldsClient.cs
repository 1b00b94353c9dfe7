using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Fields;

/// <summary>
/// Custom ticket field definitions (<c>public.ticket_fields</c>) and the values of one ticket. Everyone signed in lists the
/// definitions they may see (staff: all; customers: the customer-visible ones); admins create, update, reorder and archive.
/// The database validates every ticket write against the definitions, whichever client makes it; a refused value is a
/// <see cref="CrmValidationException"/> whose <see cref="CrmValidationException.Field"/> is the field's key. Get it from
/// <see cref="CrmClient.Fields"/>; see docs/custom-fields.md.
/// </summary>
public class FieldsClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected FieldsClient()
    {
    }

    internal FieldsClient(RestClient rest) => _rest = rest;

    /// <summary>Lists the field definitions the caller may see, in display order (position, then id), counted.</summary>
    /// <param name="includeArchived">Also the archived fields (whose values tickets keep).</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    /// <example><code>await foreach (var field in crm.Fields.ListAsync()) Console.WriteLine($"{field.Key}: {field.Type}");</code></example>
    public virtual CrmPageable<TicketField> ListAsync(bool includeArchived = false, CancellationToken cancellationToken = default)
    {
        var query = _rest.From("ticket_fields");
        if (!includeArchived)
        {
            query = query.Eq("active", true);
        }

        return new RestListing<TicketField>(
            query,
            new KeysetOrder("position", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.TicketField,
            static f => (CrmErrors.Invariant(f.Position), f.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);
    }

    /// <summary>Reads a field definition by key.</summary>
    /// <param name="key">The field key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="CrmNotFoundException">No such field, or the caller may not see it (a customer and an agent-only field).</exception>
    public virtual async Task<TicketField> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        Guard.NotBlank(key, "key");
        using var activity = CrmTelemetry.StartCall("Fields.Get");
        try
        {
            return await GetCoreAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Defines a field (admins).</summary>
    /// <param name="field">The definition.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The field as stored.</returns>
    /// <exception cref="CrmValidationException">The definition is refused (field = its key; e.g. a key that clashes with a ticket column).</exception>
    /// <exception cref="CrmConflictException">A field with this key exists.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<TicketField> CreateAsync(NewTicketField field, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(field);
        using var activity = CrmTelemetry.StartCall("Fields.Create");
        try
        {
            Guard.NotBlank(field.Key, "key");
            var rows = await _rest.From("ticket_fields").Insert(field, CrmJsonContext.Default.NewTicketField)
                .ToListAsync(CrmJsonContext.Default.TicketField, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw Forbidden("define ticket fields");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a field definition (admins): only the properties set on <paramref name="patch"/> are sent. Retried safely.</summary>
    /// <param name="key">The field key.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed field.</returns>
    /// <exception cref="CrmNotFoundException">No such field.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">The new definition is refused.</exception>
    public virtual async Task<TicketField> UpdateAsync(string key, TicketFieldPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Fields.Update");
        try
        {
            return await UpdateCoreAsync(key, patch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Archives a field (admins): tickets keep its values, no new value is accepted and it is never required.
    /// Restore it with <see cref="UpdateAsync"/> (<see cref="TicketFieldPatch.Active"/> = <see langword="true"/>). Retried safely.</summary>
    /// <param name="key">The field key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The archived field.</returns>
    /// <exception cref="CrmNotFoundException">No such field.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<TicketField> ArchiveAsync(string key, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Fields.Archive");
        try
        {
            return await UpdateCoreAsync(key, new TicketFieldPatch { Active = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Puts fields in order (admins, <c>reorder_ticket_fields</c>): the first key gets position 1, the next 2, and so
    /// on; fields not named keep their position. Retried safely.</summary>
    /// <param name="keys">Field keys, each at most once.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Every field, in the new order.</returns>
    /// <exception cref="CrmNotFoundException">A key names no field.</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<IReadOnlyList<TicketField>> ReorderAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        using var activity = CrmTelemetry.StartCall("Fields.Reorder");
        try
        {
            var array = new JsonArray();
            foreach (var key in keys)
            {
                Guard.NotBlank(key, "keys");
                array.Add((JsonNode?)JsonValue.Create(key));
            }

            return await _rest.Rpc("reorder_ticket_fields", new JsonObject { ["keys"] = array }).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.TicketField, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads the field values of a ticket that the caller may see (<c>ticket_field_values</c>): customer-visible
    /// ones, and for staff the agent-only ones too, by key. Read them with
    /// <see cref="TicketFieldMetadata.GetFieldValue(CrmMetadata, string)"/>.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>{"key": value}</c> for every defined field with a value.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    public virtual async Task<CrmMetadata> GetValuesAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Fields.GetValues");
        try
        {
            return Values(await _rest.Rpc("ticket_field_values", new JsonObject { ["ticket_id"] = ticketId })
                .ToJsonAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets (or with <see cref="TicketFieldValue.None"/> clears) one field of a ticket (<c>set_ticket_field</c>),
    /// with the caller's permissions and the same rules as a metadata write; agent-only fields included. Retried safely.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="key">The field key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket's field values afterwards, as <see cref="GetValuesAsync"/> returns them.</returns>
    /// <exception cref="CrmValidationException">The value is refused (<see cref="CrmValidationException.Field"/> = <paramref name="key"/>), or no such field.</exception>
    /// <exception cref="CrmForbiddenException">A customer setting a field she may not change.</exception>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not change it.</exception>
    public virtual async Task<CrmMetadata> SetValueAsync(Guid ticketId, string key, TicketFieldValue value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        Guard.NotBlank(key, "key");
        using var activity = CrmTelemetry.StartCall("Fields.SetValue");
        try
        {
            var arguments = new JsonObject
            {
                ["ticket_id"] = ticketId,
                ["key"] = key,
                ["value"] = JsonNode.Parse(value.Json.GetRawText()),
            };
            return Values(await _rest.Rpc("set_ticket_field", arguments).AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<TicketField> UpdateCoreAsync(string key, TicketFieldPatch patch, CancellationToken cancellationToken)
    {
        Guard.NotBlank(key, "key");
        var rows = await _rest.From("ticket_fields").Eq("key", key).AsIdempotent()
            .Update(patch, CrmJsonContext.Default.TicketFieldPatch)
            .ToListAsync(CrmJsonContext.Default.TicketField, cancellationToken).ConfigureAwait(false);
        if (rows.Count > 0)
        {
            return rows[0];
        }

        // Nothing updated: the field is missing, or visible but not the caller's to change.
        await GetCoreAsync(key, cancellationToken).ConfigureAwait(false);
        throw Forbidden("change ticket fields");
    }

    private async Task<TicketField> GetCoreAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("ticket_fields").Eq("key", key).SingleAsync(CrmJsonContext.Default.TicketField, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"Ticket field \"{key}\"", ex);
        }
    }

    private static CrmMetadata Values(JsonElement values) =>
        values.ValueKind == JsonValueKind.Object
            ? CrmMetadata.From(values)
            : throw CrmErrors.InvalidResponse("ticket field values", new JsonException($"Expected a JSON object, got {values.ValueKind}."));

    private static CrmForbiddenException Forbidden(string what) =>
        new(new CrmErrorInfo { Status = 403, Code = "not_admin", Message = $"Only an admin can {what}.", IsTransient = false });
}
