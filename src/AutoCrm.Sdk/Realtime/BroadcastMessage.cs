using System.Text.Json;

namespace AutoCrm.Sdk.Realtime;

/// <summary>One broadcast message: the event name and its JSON payload.</summary>
/// <param name="Event">The event name the sender chose.</param>
/// <param name="Payload">The payload (a copy that outlives the frame).</param>
public sealed record BroadcastMessage(string Event, JsonElement Payload);
