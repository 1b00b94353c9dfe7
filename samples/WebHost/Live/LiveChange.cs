using System.Text.Json.Serialization;

namespace AutoCrm.WebHost.Live;

/// <summary>What a "change" event says: which ticket (or saved view), and roughly what happened. The page re-reads the rest.</summary>
internal sealed record LiveChange(string What, Guid TicketId, string Detail);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LiveChange))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class LiveJsonContext : JsonSerializerContext;
