using System.Text;
using System.Text.Json.Nodes;
using CsCheck;

namespace AutoCrm.DevStack.Tests.Auth;

/// <summary>Hostile and random bodies on every Auth endpoint that takes one: never a 500, always a JSON error.</summary>
[Collection(AuthCollection.Name)]
public sealed class AuthFuzzTests(AuthStackFixture stack)
{
    private static readonly string[] Fields =
    [
        "email", "password", "phone", "data", "refresh_token", "user_metadata", "app_metadata", "id", "ban_duration",
        "role", "aud", "email_confirm", "password_hash", "should_soft_delete", "nonce",
    ];

    private static readonly Gen<string> HostileString = Gen.OneOf(
        Gen.OneOf<string>(
            string.Empty, "'", "\"", "\\", "\u0000", "a\u0000b", "%00", "' or 1=1 --", "'); drop table auth.users; --", "{}", "[]", "null",
            "\uD800", "😀", "<script>", new string('x', 300), new string('é', 200), "a@b.co", "A@B.CO", "carol@customer.demo", "24h", "-1h",
            "none", "00000000-0000-0000-0000-000000000000", "1e400", "service_role"),
        Gen.String);

    private static readonly Gen<JsonNode?> Value = Gen.Recursive<JsonNode?>((depth, inner) =>
    {
        var leaf = Gen.OneOf(
            HostileString.Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
            Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
            Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.Const((JsonNode?)null));
        return depth > 2
            ? leaf
            : Gen.OneOf(
                leaf,
                inner.Array[0, 3].Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray())),
                Gen.Select(HostileString, inner).Array[0, 3].Select(pairs =>
                {
                    var obj = new JsonObject();
                    foreach (var (key, value) in pairs)
                    {
                        obj[key] = value?.DeepClone();
                    }

                    return (JsonNode?)obj;
                }));
    });

    private static readonly Gen<string> Body = Gen.OneOf(
        Gen.String,
        HostileString,
        Gen.Select(Gen.OneOf<string>(Fields), Value).Array[0, 6].Select(pairs =>
        {
            var obj = new JsonObject();
            foreach (var (key, value) in pairs)
            {
                obj[key] = value?.DeepClone();
            }

            return obj.ToJsonString();
        }));

    [Fact]
    public async Task Random_and_hostile_bodies_never_get_a_500()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail("fuzz"));
        var token = (string)session["access_token"]!;
        var target = await stack.SignUpAsync(AuthStackFixture.UniqueEmail("fuzz-target"));
        var targetId = (string)target["user"]!["id"]!;
        (HttpMethod Method, string Path, string? Bearer)[] endpoints =
        [
            (HttpMethod.Post, "/auth/v1/signup", null),
            (HttpMethod.Post, "/auth/v1/token?grant_type=password", null),
            (HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", null),
            (HttpMethod.Put, "/auth/v1/user", token),
            (HttpMethod.Post, "/auth/v1/admin/users", stack.Server.ServiceRoleKey),
            (HttpMethod.Put, "/auth/v1/admin/users/" + targetId, stack.Server.ServiceRoleKey),
        ];

        await Gen.Select(Gen.Int[0, endpoints.Length - 1], Body).SampleAsync(
            async (index, body) =>
            {
                var (method, path, bearer) = endpoints[index];
                using var response = await stack.SendAsync(method, path, Encoding.UTF8.GetBytes(body), bearer: bearer);
                var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                Assert.True((int)response.StatusCode < 500, $"{method} {path} {body} -> {(int)response.StatusCode} {text}");
                Assert.NotNull(JsonNode.Parse(text));
            },
            iter: 300,
            threads: 1);
    }

    [Theory]
    [InlineData("/auth/v1/admin/users?page=99999999999999999999")]
    [InlineData("/auth/v1/admin/users?page=9223372036854775807&per_page=9223372036854775807")]
    [InlineData("/auth/v1/admin/users?per_page=0&page=0")]
    [InlineData("/auth/v1/admin/users?filter=%25'%22%5C&sort=created_at%20asc")]
    [InlineData("/auth/v1/admin/users/%00")]
    [InlineData("/auth/v1/admin/users/00000000-0000-0000-0000-000000000000")]
    [InlineData("/auth/v1/logout?scope=%00")]
    public async Task Hostile_query_strings_never_get_a_500(string path)
    {
        var bearer = path.Contains("logout", StringComparison.Ordinal)
            ? (string)(await stack.SignUpAsync(AuthStackFixture.UniqueEmail()))["access_token"]!
            : stack.Server.ServiceRoleKey;
        var method = path.Contains("logout", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get;

        using var response = await stack.SendAsync(method, path, bearer: bearer);

        Assert.True((int)response.StatusCode < 500, $"{path} -> {(int)response.StatusCode}");
    }
}
