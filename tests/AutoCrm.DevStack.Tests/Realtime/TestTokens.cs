using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>Mints HS256 tokens like Auth does, for any claims a test needs.</summary>
internal static class TestTokens
{
    public const string Secret = "super-secret-jwt-token-with-at-least-32-characters-long";

    public static string Anon(TimeProvider? time = null) => Create(new JsonObject { ["role"] = "anon" }, time);

    public static string ServiceRole(TimeProvider? time = null) => Create(new JsonObject { ["role"] = "service_role" }, time);

    public static string User(Guid sub, TimeProvider? time = null, TimeSpan? lifetime = null, params string[] queues) =>
        Create(new JsonObject
        {
            ["sub"] = sub.ToString(),
            ["role"] = "authenticated",
            ["aud"] = "authenticated",
            ["queues"] = new JsonArray([.. queues.Select(q => (JsonNode?)q)]),
        }, time, lifetime);

    public static string Create(JsonObject claims, TimeProvider? time = null, TimeSpan? lifetime = null, string secret = Secret)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        if (!claims.ContainsKey("exp"))
        {
            claims["exp"] = (now + (lifetime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds();
        }

        var header = Encode("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
