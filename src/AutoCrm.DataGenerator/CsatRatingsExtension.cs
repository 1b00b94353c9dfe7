using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace AutoCrm.DataGenerator;

/// <summary>
/// CSAT ratings for the generated tickets (<c>public.ticket_ratings</c>, docs/reports.md): each solve of a ticket (its
/// history moving it into <c>solved</c> or <c>closed</c> from another status) is rated by the requester with
/// probability <see cref="Share"/>, on the good/bad scale, up to three days after the solve; four in five first solves
/// are rated good, a little over half of the later ones (after a reopen). Like the metric facts the database derives from the same
/// history (<c>refresh_generated_data()</c>), a rating takes the ticket's queue, assignee, priority and channel.
/// Reproducible: every draw comes from <see cref="CrmDataContext.Random"/> with the purpose <c>ticket_ratings</c>.
/// </summary>
public sealed class CsatRatingsExtension : ICrmDataExtension
{
    /// <summary>The share of solves that get a rating (default 0.3).</summary>
    public double Share { get; init; } = 0.3;

    /// <inheritdoc />
    public string Name => "ticket_ratings";

    /// <inheritdoc />
    public async Task LoadAsync(CrmDataContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var copy = await context.Connection.BeginBinaryImportAsync(
            "copy public.ticket_ratings (ticket_id, resolution, requester_id, scale, score, satisfied, comment, solved_at, "
            + "queue_id, agent_id, priority, channel, created_at, updated_at) from stdin (format binary)", cancellationToken);
        foreach (var ticket in context.Tickets())
        {
            var random = context.Random(Name, ticket.Index);
            var channel = Channel(ticket.MetadataJson);
            var solves = 0;
            foreach (var e in ticket.Events)
            {
                if (!IsSolve(e))
                {
                    continue;
                }

                solves++;
                if (!random.Chance(Share))
                {
                    continue;
                }

                var good = random.Chance(solves > 1 ? 0.55 : 0.8);
                var ratedAt = e.CreatedAt.AddMinutes(random.Next(5, 72 * 60));
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(ticket.Id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(solves, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(ticket.RequesterId, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync("good_bad", NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync((short)(good ? 1 : 0), NpgsqlDbType.Smallint, cancellationToken);
                await copy.WriteAsync(good, NpgsqlDbType.Boolean, cancellationToken);
                if (random.Chance(0.25))
                {
                    await copy.WriteAsync(good ? "Thanks, that solved it." : "Took too long.", NpgsqlDbType.Text, cancellationToken);
                }
                else
                {
                    await copy.WriteNullAsync(cancellationToken);
                }

                await copy.WriteAsync(e.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                await WriteNullableAsync(copy, ticket.QueueId, cancellationToken);
                await WriteNullableAsync(copy, ticket.AssigneeId, cancellationToken);
                await copy.WriteAsync(ticket.Priority, "public.ticket_priority", cancellationToken);
                if (channel is null)
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await copy.WriteAsync(channel, NpgsqlDbType.Text, cancellationToken);
                }

                await copy.WriteAsync(ratedAt, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(ratedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            }
        }

        await copy.CompleteAsync(cancellationToken);
        await copy.DisposeAsync();

        // The load runs with triggers off, so the ratings' share of the hourly report rollups (kept by a ratings trigger)
        // is rebuilt here, where the schema has them.
        await using var exists = new NpgsqlCommand(
            "select to_regprocedure('autocrm_private.rebuild_ticket_report_hourly()') is not null", context.Connection);
        if (await exists.ExecuteScalarAsync(cancellationToken) is true)
        {
            await using var rebuild = new NpgsqlCommand("select autocrm_private.rebuild_ticket_report_hourly()", context.Connection) { CommandTimeout = 0 };
            await rebuild.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task WriteNullableAsync(Npgsql.NpgsqlBinaryImporter copy, Guid? value, CancellationToken cancellationToken)
    {
        if (value is { } id)
        {
            await copy.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
        }
        else
        {
            await copy.WriteNullAsync(cancellationToken);
        }
    }

    // A history event that moves the ticket into solved or closed from another status (as the resolution facts count solves).
    private static bool IsSolve(GeneratedEvent e)
    {
        if (e.Kind is not ("created" or "status_changed"))
        {
            return false;
        }

        using var changes = JsonDocument.Parse(e.ChangesJson);
        if (!changes.RootElement.TryGetProperty("status", out var status) || status.GetArrayLength() != 2)
        {
            return false;
        }

        var from = status[0].ValueKind == JsonValueKind.String ? status[0].GetString() : null;
        var to = status[1].GetString();
        return to is "solved" or "closed" && from is not ("solved" or "closed");
    }

    private static string? Channel(string metadataJson)
    {
        using var metadata = JsonDocument.Parse(metadataJson);
        return metadata.RootElement.TryGetProperty("channel", out var channel) && channel.ValueKind == JsonValueKind.String
            && channel.GetString() is { Length: > 0 } value
            ? value[..Math.Min(value.Length, 100)]
            : null;
    }
}
