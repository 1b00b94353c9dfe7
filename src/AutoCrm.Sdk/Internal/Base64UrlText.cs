namespace AutoCrm.Sdk.Internal;

/// <summary>base64url without padding (JWT segments, continuation tokens); <c>System.Buffers.Text.Base64Url</c> is .NET 9+.</summary>
internal static class Base64UrlText
{
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[]? TryDecode(ReadOnlySpan<char> text)
    {
        var chars = new char[text.Length + ((4 - (text.Length % 4)) % 4)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = i >= text.Length ? '=' : text[i] switch { '-' => '+', '_' => '/', var c => c };
        }

        var buffer = new byte[chars.Length];
        return Convert.TryFromBase64Chars(chars, buffer, out var written) ? buffer.AsSpan(0, written).ToArray() : null;
    }
}
