using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Metadata-only writes: replace the whole object, or merge some keys into it.</summary>
public partial class TicketsClient
{
    /// <summary>
    /// Replaces a ticket's metadata and changes nothing else. Custom field values are validated by the database
    /// (a refused value is a <see cref="CrmValidationException"/> whose <see cref="CrmValidationException.Field"/> is the
    /// field key); an agent-only field left out keeps its value (it is never in <see cref="Ticket.Metadata"/>).
    /// </summary>
    /// <param name="id">The ticket id.</param>
    /// <param name="metadata">The new metadata.</param>
    /// <param name="expectedVersion">See <see cref="UpdateAsync(Guid, TicketPatch, int?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    /// <exception cref="CrmConflictException">The version did not match.</exception>
    public virtual async Task<Ticket> UpdateMetadataAsync(Guid id, CrmMetadata metadata, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        using var activity = CrmTelemetry.StartCall("Tickets.UpdateMetadata");
        try
        {
            return await UpdateAsync(id, new TicketPatch { Metadata = metadata }, expectedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Replaces a ticket's metadata with a typed value (serialized through <paramref name="metadataType"/>, AOT-safe).</summary>
    /// <typeparam name="TMetadata">The metadata type; it must serialize to a JSON object.</typeparam>
    /// <param name="id">The ticket id.</param>
    /// <param name="metadata">The new metadata.</param>
    /// <param name="metadataType">Its source-generated JSON metadata.</param>
    /// <param name="expectedVersion">See <see cref="UpdateAsync(Guid, TicketPatch, int?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    public virtual Task<Ticket> UpdateMetadataAsync<TMetadata>(
        Guid id, TMetadata metadata, JsonTypeInfo<TMetadata> metadataType, int? expectedVersion = null, CancellationToken cancellationToken = default) =>
        UpdateMetadataAsync(id, CrmMetadata.From(metadata, metadataType), expectedVersion, cancellationToken);

    /// <summary>
    /// Sets the keys of <paramref name="changes"/> in a ticket's metadata and keeps the others, in one statement
    /// (<c>merge_ticket_metadata</c>), so concurrent merges of different keys never undo each other. A key set to JSON
    /// <c>null</c> is removed (a custom field is cleared, agent-only ones included). Custom field values are validated as
    /// for any ticket write. Retried safely when no <paramref name="expectedVersion"/> is given.
    /// </summary>
    /// <param name="id">The ticket id.</param>
    /// <param name="changes">The keys to set.</param>
    /// <param name="expectedVersion">The <see cref="Ticket.Version"/> you based the change on, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    /// <exception cref="CrmValidationException">A custom field value is refused (<see cref="CrmValidationException.Field"/> is its key).</exception>
    /// <exception cref="CrmForbiddenException">The caller may read the ticket but not make this change (e.g. a customer and a non-editable field).</exception>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    /// <exception cref="CrmConflictException">The version did not match (code <c>version_mismatch</c>).</exception>
    /// <example><code>await crm.Tickets.MergeMetadataAsync(id, CrmMetadata.Empty.WithFieldValue("renewal", TicketFieldValue.Date(new DateOnly(2026, 3, 1))));</code></example>
    public virtual async Task<Ticket> MergeMetadataAsync(Guid id, CrmMetadata changes, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        using var activity = CrmTelemetry.StartCall("Tickets.MergeMetadata");
        try
        {
            var arguments = new JsonObject
            {
                ["ticket_id"] = id,
                ["changes"] = JsonNode.Parse(changes.Utf8Json.Span),
                ["expected_version"] = expectedVersion,
            };
            var call = _rest.Rpc("merge_ticket_metadata", arguments);
            var rows = await (expectedVersion is null ? call.AsIdempotent() : call)
                .ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
            if (rows.Count > 0)
            {
                return rows[0];
            }

            var current = await GetCoreAsync("id", id, TicketInclude.None, cancellationToken).ConfigureAwait(false);
            if (expectedVersion is { } expected && current.Version != expected)
            {
                throw new CrmConflictException(new CrmErrorInfo
                {
                    Status = 409,
                    Code = "version_mismatch",
                    Message = $"Ticket {id} changed meanwhile: expected version {expected}, found {current.Version}.",
                    Details = $"expected {expected}, actual {current.Version}",
                });
            }

            throw new CrmForbiddenException(new CrmErrorInfo { Status = 403, Code = "update_denied", Message = $"The caller may read ticket {id} but not change it." });
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Merges a typed value's properties into a ticket's metadata (see <see cref="MergeMetadataAsync(Guid, CrmMetadata, int?, CancellationToken)"/>).</summary>
    /// <typeparam name="TChanges">The type of the changes; it must serialize to a JSON object (properties your JSON context
    /// leaves out when null are not touched; properties it writes as null are removed).</typeparam>
    /// <param name="id">The ticket id.</param>
    /// <param name="changes">The keys to set.</param>
    /// <param name="changesType">Its source-generated JSON metadata.</param>
    /// <param name="expectedVersion">The <see cref="Ticket.Version"/> you based the change on, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    public virtual Task<Ticket> MergeMetadataAsync<TChanges>(
        Guid id, TChanges changes, JsonTypeInfo<TChanges> changesType, int? expectedVersion = null, CancellationToken cancellationToken = default) =>
        MergeMetadataAsync(id, CrmMetadata.From(changes, changesType), expectedVersion, cancellationToken);
}
