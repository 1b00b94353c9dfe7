using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Internal;

/// <summary>Writes enum members the way the database spells them (<c>OnHold</c> ↔ <c>on_hold</c>); AOT-safe.</summary>
/// <typeparam name="TEnum">The enum.</typeparam>
internal sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
