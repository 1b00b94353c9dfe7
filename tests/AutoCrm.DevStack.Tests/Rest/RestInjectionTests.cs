using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// Attacks that try to give the SQL another shape through request text that becomes SQL text (casts, aliases,
/// JSON paths, embed names): each is refused with a 4xx and nothing of the attacker's SQL runs.
/// </summary>
[Collection("rest")]
public sealed class RestInjectionTests(RestFixture fx)
{
    private static async Task<JsonNode?> ErrorAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

    [Theory]
    [InlineData("rt_authors?select=name::text from pg_settings t0 union all select name")]
    [InlineData("rt_authors?select=name::text from pg_settings t0 cross join pg_settings t1 cross join pg_settings t2 union all select name")]
    [InlineData("rt_authors?select=name::text from pg_stat_user_tables t0 union all select name")]
    [InlineData("rt_authors?select=id,name::text%20from%20pg_settings%20t0%20union%20all%20select%20name")]
    [InlineData("rt_authors?select=name::int limit 0 union select 1")]
    [InlineData("rt_authors?select=name::text collate C")]
    [InlineData("rt_authors?select=name::1text")]
    [InlineData("rt_authors?select=name::$1")]
    public async Task A_cast_that_is_not_a_type_name_is_refused_with_PGRST100(string url)
    {
        foreach (var token in new[] { null, RestFixture.UserToken(Guid.NewGuid()) })
        {
            using var response = await fx.SendAsync(HttpMethod.Get, url, token: token);
            var body = await ErrorAsync(response);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("PGRST100", body!["code"]!.GetValue<string>());
            Assert.StartsWith("\"failed to parse select parameter", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Type_names_still_cast_including_keyword_types_and_json_paths()
    {
        using var response = await fx.SendAsync(HttpMethod.Get,
            "rt_books?select=id::text,pages::double precision,kind:meta->>kind::varchar,stars:meta->rating->>stars::INT,published::timestamp with time zone,p:pages::numeric,t:tags::_text&id=eq.1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await ErrorAsync(response))![0]!;
        Assert.Equal("1", row["id"]!.GetValue<string>());
        Assert.Equal(183d, row["pages"]!.GetValue<double>());
        Assert.Equal("novel", row["kind"]!.GetValue<string>());
        Assert.Equal(5, row["stars"]!.GetValue<int>());
        Assert.StartsWith("1968-11-01T00:00:00", row["published"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("fantasy", row["t"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cast_to_a_type_that_does_not_exist_is_a_400_from_postgres()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rt_books?select=id::no_such_type");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("42704", (await ErrorAsync(response))!["code"]!.GetValue<string>());
    }
}
