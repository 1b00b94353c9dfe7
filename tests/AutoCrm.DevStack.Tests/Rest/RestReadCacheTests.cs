using System.Net;
using AutoCrm.DevStack.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// Table reads reuse the statement built for the same query shape (filter values taken out); every answer must be
/// the one a fresh build gives.
/// </summary>
[Collection("rest")]
public sealed class RestReadCacheTests(RestFixture fx)
{
    private ReadStatementCache Cache => fx.Server.Services.GetRequiredService<RestHandler>().ReadStatements;

    private async Task<string> GetIdsAsync(string url, params (string Name, string Value)[] headers)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, url, headers: headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Ids(await JsonAsync(response));
    }

    [Fact]
    public async Task Same_shape_with_other_values_reuses_the_statement_and_answers_for_its_own_values()
    {
        Assert.Equal("1", await GetIdsAsync("rt_books?select=id&id=eq.1"));
        var hits = Cache.Hits;
        Assert.Equal("3", await GetIdsAsync("rt_books?select=id&id=eq.3"));
        Assert.Equal("", await GetIdsAsync("rt_books?select=id&id=eq.99"));
        Assert.Equal(hits + 2, Cache.Hits);
    }

    [Fact]
    public async Task Several_slots_negation_and_repeated_keys_keep_their_order()
    {
        Assert.Equal("2,3", await GetIdsAsync("rt_books?select=id&id=gt.1&id=lt.4&order=id"));
        Assert.Equal("3,4", await GetIdsAsync("rt_books?select=id&id=gt.2&id=lt.5&order=id"));
        Assert.Equal("1,3,4,5", await GetIdsAsync("rt_books?select=id&id=not.eq.2&order=id"));
        Assert.Equal("1,2,4,5", await GetIdsAsync("rt_books?select=id&id=not.eq.3&order=id"));
        Assert.Equal("3", await GetIdsAsync("rt_books?select=id&author_id=eq.2&pages=gte.200"));
        Assert.Equal("", await GetIdsAsync("rt_books?select=id&author_id=eq.2&pages=gte.205"));
    }

    [Fact]
    public async Task Text_values_with_delimiters_are_values_not_syntax()
    {
        Assert.Equal("3", await GetIdsAsync("rt_books?select=id&title=eq.Solaris"));
        Assert.Equal("", await GetIdsAsync("rt_books?select=id&title=eq." + Uri.EscapeDataString("Solaris,Kindred)&id=eq.1")));
        Assert.Equal("4", await GetIdsAsync("rt_books?select=id&title=eq.Kindred"));
    }

    [Fact]
    public async Task Pattern_operators_are_never_slots()
    {
        // like turns * into %: a cached value would skip that.
        Assert.Equal("3", await GetIdsAsync("rt_books?select=id&title=like.*olar*"));
        Assert.Equal("1", await GetIdsAsync("rt_books?select=id&title=like.*Earth*"));
    }

    [Fact]
    public async Task Range_header_limit_and_offset_are_part_of_the_shape()
    {
        Assert.Equal("1,2", await GetIdsAsync("rt_books?select=id&id=gt.0&order=id", ("Range", "0-1")));
        Assert.Equal("3,4", await GetIdsAsync("rt_books?select=id&id=gt.0&order=id", ("Range", "2-3")));
        Assert.Equal("2", await GetIdsAsync("rt_books?select=id&id=gt.0&order=id&limit=1&offset=1"));
        Assert.Equal("1", await GetIdsAsync("rt_books?select=id&id=gt.0&order=id&limit=1&offset=0"));
    }

    [Fact]
    public async Task A_failing_shape_fails_every_time()
    {
        for (var i = 0; i < 2; i++)
        {
            using var response = await fx.SendAsync(HttpMethod.Get, $"rt_books?nope=eq.{i}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("42703", (await JsonAsync(response))!["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Shapes_are_unambiguous_and_collect_slot_values_in_order()
    {
        var values = new List<string>();
        var a = ReadStatementCache.Shape(Query(("a=b", "c")), values);
        var b = ReadStatementCache.Shape(Query(("a", "b=c")), values);
        Assert.NotEqual(a, b);
        Assert.Empty(values);

        var s1 = ReadStatementCache.Shape(Query(("id", "eq.1"), ("name", "not.neq.x.y"), ("select", "eq.1"), ("data->a", "eq.1")), values);
        Assert.Equal(["1", "x.y"], values);
        values.Clear();
        var s2 = ReadStatementCache.Shape(Query(("id", "eq.2"), ("name", "not.neq.z"), ("select", "eq.1"), ("data->a", "eq.1")), values);
        Assert.Equal(s1, s2);
        Assert.Equal(["2", "z"], values);
        values.Clear();
        Assert.NotEqual(s1, ReadStatementCache.Shape(Query(("id", "eq.2"), ("name", "not.neq.z"), ("select", "eq.2"), ("data->a", "eq.1")), values));
        Assert.NotEqual(s1, ReadStatementCache.Shape(Query(("id", "gt.2"), ("name", "not.neq.z"), ("select", "eq.1"), ("data->a", "eq.1")), values));
    }

    private static QueryCollection Query(params (string Key, string Value)[] pairs) =>
        new(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Value), StringComparer.Ordinal));
}
