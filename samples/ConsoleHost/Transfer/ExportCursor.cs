using System.Globalization;
using System.Text;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>Where an export stopped: the (updated_at, id) of the last ticket written, as an opaque base64url token.</summary>
internal sealed record ExportCursor(DateTimeOffset UpdatedAt, Guid Id)
{
    internal string Encode() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1|{UpdatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}|{Id}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether a ticket comes after the cursor in (updated_at, id) order.</summary>
    internal bool IsBefore(DateTimeOffset updatedAt, Guid id) =>
        updatedAt > UpdatedAt || (updatedAt == UpdatedAt && string.CompareOrdinal(id.ToString(), Id.ToString()) > 0);

    internal static ExportCursor Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
            if (parts is ["v1", var time, var id]
                && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var updatedAt)
                && Guid.TryParse(id, out var guid))
            {
                return new ExportCursor(updatedAt, guid);
            }
        }
        catch (FormatException)
        {
        }

        throw new Cli.UsageException($"--since: '{token}' is not a cursor printed by `autocrm export`");
    }
}
