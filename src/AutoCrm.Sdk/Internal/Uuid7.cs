using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AutoCrm.Sdk.Internal;

/// <summary>RFC 9562 version 7 UUIDs (time-ordered), built by hand because <c>Guid.CreateVersion7</c> is .NET 9+.</summary>
internal static class Uuid7
{
    public static Guid NewGuid(TimeProvider timeProvider)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[6..]);
        var ms = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, ms);
        time[2..].CopyTo(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
