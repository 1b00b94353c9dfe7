using System.Text.Json.Serialization;

namespace AutoCrm.DevStack.Auth;

/// <summary>Source-generated serialisation for the few plain values Auth writes outside <c>JsonNode</c> trees.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
