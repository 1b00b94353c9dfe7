using System.Collections.Concurrent;
using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>Database spelling of SDK enums for query strings (<c>status=eq.on_hold</c>).</summary>
internal static class EnumText
{
    private static readonly ConcurrentDictionary<Enum, string> Cache = new();

    public static string Get<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Cache.GetOrAdd(value, static v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

    public static string Get(Enum value) =>
        Cache.GetOrAdd(value, static v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));
}
