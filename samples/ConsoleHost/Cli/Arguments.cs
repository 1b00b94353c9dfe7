using System.Globalization;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>Reads command-line values (enums, ticket/queue/agent references) and turns lookups into ids.</summary>
internal static class Arguments
{
    internal static T ParseEnum<T>(string value, string option)
        where T : struct, Enum
    {
        var normalized = value.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<T>(normalized, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new UsageException($"{option}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(Snake))}");
    }

    internal static IReadOnlyList<T>? ParseEnumList<T>(string[]? values, string option)
        where T : struct, Enum =>
        values is null or { Length: 0 }
            ? null
            : [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(v => ParseEnum<T>(v, option))];

    internal static string Snake<T>(T value)
        where T : struct, Enum => Snake(value.ToString());

    internal static string Snake(string pascal)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(pascal[i]));
        }

        return builder.ToString();
    }

    internal static DateTimeOffset? ParseTime(string? value, string option) =>
        value is null ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new UsageException($"{option}: '{value}' is not a date/time (use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z)");

    /// <summary>A ticket by id (uuid) or number (<c>42</c> or <c>#42</c>).</summary>
    internal static async Task<Ticket> TicketAsync(CrmClient crm, string reference, TicketInclude include, CancellationToken cancellationToken)
    {
        try
        {
            if (Guid.TryParse(reference, out var id))
            {
                return await crm.Tickets.GetAsync(id, include, cancellationToken).ConfigureAwait(false);
            }

            if (long.TryParse(reference.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                return await crm.Tickets.GetByNumberAsync(number, include, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (CrmNotFoundException ex)
        {
            throw new NotFoundException($"ticket {reference} not found (or not visible to you)", ex);
        }

        throw new UsageException($"'{reference}' is not a ticket id or number");
    }

    /// <summary>A ticket's id: a uuid is taken as is (no round trip), a number is looked up.</summary>
    internal static async Task<Guid> TicketIdAsync(CrmClient crm, string reference, CancellationToken cancellationToken) =>
        Guid.TryParse(reference, out var id) ? id : (await TicketAsync(crm, reference, TicketInclude.None, cancellationToken).ConfigureAwait(false)).Id;

    /// <summary>A queue by slug or id.</summary>
    internal static async Task<Queue> QueueAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        var queues = await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        return queues.FirstOrDefault(q => string.Equals(q.Slug, reference, StringComparison.OrdinalIgnoreCase) || q.Id.ToString() == reference.ToLowerInvariant())
            ?? throw new NotFoundException($"queue '{reference}' not found (known: {string.Join(", ", queues.Select(q => q.Slug))})");
    }

    /// <summary>A user by id, email, or <c>me</c>.</summary>
    internal static async Task<Guid> UserIdAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(reference, out var id))
        {
            return id;
        }

        if (string.Equals(reference, "me", StringComparison.OrdinalIgnoreCase))
        {
            return (await crm.Auth.GetUserAsync(cancellationToken).ConfigureAwait(false)).Id;
        }

        // One profile by email (case-insensitive), not a scan of every profile the caller may list.
        var rows = await crm.Rest.From("profiles").Select("id,email").ILike("email", EscapeLike(reference)).Limit(20).ToJsonAsync(cancellationToken).ConfigureAwait(false);
        return rows.EnumerateArray()
            .Where(r => string.Equals(r.GetProperty("email").GetString(), reference, StringComparison.OrdinalIgnoreCase))
            .Select(r => (Guid?)r.GetProperty("id").GetGuid()).FirstOrDefault()
            ?? throw new NotFoundException($"user '{reference}' not found (or not visible to you)");
    }

    /// <summary>A LIKE pattern that matches <paramref name="text"/> literally.</summary>
    internal static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
