using System.Text.Json.Serialization;

namespace AutoCrm.DataGenerator;

[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class GeneratorJsonContext : JsonSerializerContext;
