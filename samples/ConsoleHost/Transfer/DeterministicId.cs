using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>Name-based UUIDs (version 8, RFC 9562 §5.8, from SHA-256): the same source key always gives the same id,
/// so importing a file twice inserts nothing the second time.</summary>
internal static class DeterministicId
{
    internal static Guid From(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("autocrm-import:" + name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
