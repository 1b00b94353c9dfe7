using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>One decoded client frame: the five Phoenix fields (docs/protocols.md#framing).</summary>
/// <remarks>
/// <see cref="BinaryPayload"/> is set only for a vsn 2.0.0 binary broadcast push (kind 3) whose
/// encoding is raw binary; JSON-encoded kind 3 pushes are turned into an ordinary broadcast payload.
/// </remarks>
internal sealed record PhoenixMessage(string? JoinRef, string? Ref, string Topic, string Event, JsonNode? Payload)
{
    public byte[]? BinaryPayload { get; init; }
}

/// <summary>Why a client frame could not be decoded.</summary>
internal sealed class PhoenixFrameException(string message) : Exception(message);
