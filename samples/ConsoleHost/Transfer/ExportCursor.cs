using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>
/// Where an export stopped, as an opaque base64url token. <c>updated_at</c> is stamped when a transaction starts, not when
/// it commits, so a change that commits late carries an older time than changes already exported; a cursor that kept only
/// the last <c>(updated_at, id)</c> would skip it forever. This cursor keeps the highest <c>updated_at</c> seen
/// (<see cref="High"/>) and the next export re-reads from <c>High - Overlap</c>, skipping each ticket state it already
/// wrote: <see cref="Seen"/> holds a 64-bit digest of (id, version) for every ticket read in that window. A late commit is
/// caught as long as its transaction lasted less than <see cref="Overlap"/> (REST requests are bounded by the roles'
/// <c>statement_timeout</c>: 8 s for authenticated users).
/// </summary>
internal sealed record ExportCursor(DateTimeOffset High, TimeSpan Overlap, IReadOnlySet<ulong> Seen)
{
    /// <summary>The default overlap: far longer than any API transaction may run.</summary>
    internal static readonly TimeSpan DefaultOverlap = TimeSpan.FromMinutes(10);

    /// <summary>Where the next export starts reading (inclusive); null = from the start (nothing was read yet).</summary>
    internal DateTimeOffset? Watermark => High == DateTimeOffset.MinValue ? null : High - Overlap;

    /// <summary>Whether this ticket state was written by the export that made this cursor.</summary>
    internal bool AlreadyExported(Guid id, int version) => Seen.Contains(Key(id, version));

    /// <summary>The cursor after an export that read <paramref name="read"/> (every ticket state it saw, written or skipped).</summary>
    internal static ExportCursor After(ExportCursor? previous, IEnumerable<(Guid Id, int Version, DateTimeOffset UpdatedAt)> read, TimeSpan overlap)
    {
        var rows = read.ToList();
        var high = rows.Aggregate(previous?.High ?? DateTimeOffset.MinValue, (max, r) => r.UpdatedAt > max ? r.UpdatedAt : max);
        var cursor = new ExportCursor(high, overlap, new HashSet<ulong>());
        var watermark = cursor.Watermark ?? DateTimeOffset.MinValue;
        return cursor with { Seen = rows.Where(r => r.UpdatedAt >= watermark).Select(r => Key(r.Id, r.Version)).ToHashSet() };
    }

    /// <summary>A 64-bit digest of a ticket state (SHA-256 of id and version, truncated): 8 bytes per ticket in the cursor.</summary>
    internal static ulong Key(Guid id, int version)
    {
        Span<byte> input = stackalloc byte[20];
        id.TryWriteBytes(input, bigEndian: true, out _);
        BinaryPrimitives.WriteInt32BigEndian(input[16..], version);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    internal string Encode()
    {
        var keys = new byte[Seen.Count * 8];
        var i = 0;
        foreach (var key in Seen.Order())
        {
            BinaryPrimitives.WriteUInt64BigEndian(keys.AsSpan(i), key);
            i += 8;
        }

        var high = High == DateTimeOffset.MinValue ? "-" : High.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var text = $"v2|{high}|{(long)Overlap.TotalSeconds}|{Convert.ToBase64String(keys)}";
        return Base64Url(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Reads a cursor of this version, or of the first version (<c>(updated_at, id)</c>, read with the default overlap and no states to skip).</summary>
    internal static ExportCursor Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('|');
            switch (parts)
            {
                case ["v2", var high, var seconds, var keys]
                    when (high == "-" || DateTimeOffset.TryParse(high, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
                        && long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var overlap):
                    var bytes = Convert.FromBase64String(keys);
                    if (bytes.Length % 8 != 0)
                    {
                        break;
                    }

                    var seen = new HashSet<ulong>();
                    for (var i = 0; i < bytes.Length; i += 8)
                    {
                        seen.Add(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i)));
                    }

                    var at = high == "-" ? DateTimeOffset.MinValue : DateTimeOffset.Parse(high, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    return new ExportCursor(at, TimeSpan.FromSeconds(overlap), seen);
                case ["v1", var time, var id]
                    when DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var updatedAt) && Guid.TryParse(id, out _):
                    return new ExportCursor(updatedAt, DefaultOverlap, new HashSet<ulong>());
            }
        }
        catch (FormatException)
        {
        }

        throw new Cli.UsageException($"--since: '{Shorten(token)}' is not a cursor printed by `autocrm export`");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Shorten(string token) => token.Length <= 40 ? token : token[..40] + "…";
}
