using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Internal;

/// <summary>Builds (once per element type) the source-generation-style metadata for <c>List&lt;T&gt;</c> from a caller's
/// <see cref="JsonTypeInfo{T}"/>, so arrays deserialize in one streaming pass without reflection.</summary>
internal static class ListTypeInfo
{
    private static readonly ConditionalWeakTable<JsonTypeInfo, JsonTypeInfo> Cache = [];

    public static JsonTypeInfo<List<T>> For<T>(JsonTypeInfo<T> element) =>
        (JsonTypeInfo<List<T>>)Cache.GetValue(element, static e => JsonMetadataServices.CreateListInfo<List<T>, T>(
            e.Options,
            new JsonCollectionInfoValues<List<T>> { ObjectCreator = static () => [], ElementInfo = (JsonTypeInfo<T>)e }));
}
