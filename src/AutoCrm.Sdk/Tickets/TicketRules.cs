using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tickets;

/// <summary>
/// The database's rules for ticket values, checked before sending so that the common mistakes fail fast with a clear
/// <see cref="CrmValidationException"/>. The database stays the authority: the same messages come back, through
/// <c>ValidationErrors</c>, when it refuses a value itself.
/// </summary>
internal static class TicketRules
{
    public const int MaxSubjectLength = 300;
    public const int MaxBodyLength = 100_000;

    public static void CheckSubject(string? subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (string.IsNullOrWhiteSpace(subject) || CharLength(subject) > MaxSubjectLength)
        {
            throw CrmErrors.Invalid("subject", "The subject must be 1 to 300 characters and not only spaces.");
        }
    }

    public static void CheckBody(string? body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrWhiteSpace(body) || CharLength(body) > MaxBodyLength)
        {
            throw CrmErrors.Invalid("body", "A message must be 1 to 100,000 characters and not only spaces.");
        }
    }

    /// <summary>PostgreSQL's <c>char_length</c>: code points, not UTF-16 units (an emoji is one character there).</summary>
    private static int CharLength(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
