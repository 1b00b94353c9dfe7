using AutoCrm.DevStack.Rest;

namespace AutoCrm.DevStack.Tests.Rest;

public sealed class QueryParserTests
{
    [Fact]
    public void Select_parses_aliases_casts_json_paths_and_embeds()
    {
        var items = QueryParser.ParseSelect("id,n:name::text,data->a->>b,author:users!fk_author!inner(id,...orgs(name)),\"quoted col\"");
        var alias = Assert.IsType<ColumnItem>(items[1]);
        Assert.Equal(("n", "name", "text"), (alias.Alias, alias.Field.Name, alias.Cast));
        var path = Assert.IsType<ColumnItem>(items[2]);
        Assert.Equal("b", path.OutputName);
        Assert.True(path.Field.Path[1].AsText);
        var embed = Assert.IsType<EmbedItem>(items[3]);
        Assert.Equal(("author", "users", "fk_author", EmbedJoin.Inner), (embed.Alias, embed.Relation, embed.Hint, embed.Join));
        Assert.True(Assert.IsType<EmbedItem>(embed.Items[1]).Spread);
        Assert.Equal("quoted col", Assert.IsType<ColumnItem>(items[4]).Field.Name);
    }

    [Theory]
    [InlineData("a::text", "text")]
    [InlineData("a::TEXT ", "text")]
    [InlineData("a::double   precision", "double precision")]
    [InlineData("a::timestamp With Time Zone", "timestamp with time zone")]
    [InlineData("a::my_type$1", "my_type$1")]
    public void A_cast_is_one_type_name_in_canonical_spelling(string select, string cast)
    {
        Assert.Equal(cast, Assert.IsType<ColumnItem>(QueryParser.ParseSelect(select)[0]).Cast);
    }

    [Theory]
    [InlineData("a::text from pg_settings", 3)]
    [InlineData("a::int limit 1", 3)]
    [InlineData("a::text;drop table x", -1)]
    [InlineData("a::9lives", 3)]
    [InlineData("a::", 3)]
    public void A_cast_that_is_not_a_type_name_fails_at_the_cast(string select, int column)
    {
        var error = Assert.Throws<RestException>(() => QueryParser.ParseSelect(select));
        Assert.Equal("PGRST100", error.Code);
        if (column >= 0)
        {
            Assert.Contains($"column {column + 1})", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Filter_values_parse_operators_negation_and_quantifiers()
    {
        var f = QueryParser.ParseFilterValue(FieldRef.Column("a"), "not.like(any).{x*,y*}");
        Assert.True(f.Negated);
        var op = Assert.IsType<SimpleOperation>(f.Operation);
        Assert.Equal(("like", Quantifier.Any, "{x*,y*}"), (op.Operator, op.Quantifier, op.Value));
        var fts = Assert.IsType<FtsOperation>(QueryParser.ParseFilterValue(FieldRef.Column("a"), "wfts(english).a b").Operation);
        Assert.Equal(("wfts", "english", "a b"), (fts.Operator, fts.Config, fts.Value));
    }

    [Fact]
    public void Eq_value_keeps_everything_after_the_operator()
    {
        var op = Assert.IsType<SimpleOperation>(QueryParser.ParseFilterValue(FieldRef.Column("a"), "eq.a.b,c)(").Operation);
        Assert.Equal("a.b,c)(", op.Value);
    }

    [Fact]
    public void In_list_honours_quotes_and_escapes()
    {
        var op = Assert.IsType<InOperation>(QueryParser.ParseFilterValue(FieldRef.Column("a"), "in.(\"Hebdon,John\",\"a \\\"q\\\" \\\\\",plain, trimmed )").Operation);
        Assert.Equal(["Hebdon,John", "a \"q\" \\", "plain", "trimmed"], op.Values);
    }

    [Fact]
    public void Logic_trees_nest_with_negation()
    {
        var tree = QueryParser.ParseLogicTree(true, false, "(a.eq.1,not.and(b.gt.2,c.in.(1,2)),d->>k.not.is.null,e.cs.{1,2})");
        Assert.Equal(4, tree.Children.Count);
        var and = Assert.IsType<LogicCondition>(tree.Children[1]);
        Assert.True(and.Negated);
        Assert.False(and.IsOr);
        var d = Assert.IsType<FilterCondition>(tree.Children[2]);
        Assert.True(d.Negated);
        Assert.Equal("k", d.Field.OutputName);
        Assert.Equal("{1,2}", Assert.IsType<SimpleOperation>(Assert.IsType<FilterCondition>(tree.Children[3]).Operation).Value);
    }

    [Fact]
    public void Order_parses_direction_nulls_and_related_columns()
    {
        var terms = QueryParser.ParseOrder("a.desc.nullslast,b,rel(c).asc.nullsfirst");
        Assert.Equal((true, (bool?)false), (terms[0].Descending, terms[0].NullsFirst));
        Assert.Equal((false, (bool?)null), (terms[1].Descending, terms[1].NullsFirst));
        Assert.Equal(("rel", "c", (bool?)true), (terms[2].Relation, terms[2].Field.Name, terms[2].NullsFirst));
    }

    [Theory]
    [InlineData("val", "\"failed to parse filter (val)\" (line 1, column 1)")]
    [InlineData("eq", "\"failed to parse filter (eq)\" (line 1, column 3)")]
    [InlineData("in.(1,2", "\"failed to parse filter (in.(1,2)\" (line 1, column 8)")]
    public void Parse_errors_are_PGRST100_with_a_column(string value, string message)
    {
        var e = Assert.Throws<RestException>(() => QueryParser.ParseFilterValue(FieldRef.Column("a"), value));
        Assert.Equal(("PGRST100", 400, message), (e.Code, e.Status, e.Message));
    }

    [Fact]
    public void Key_splitting_keeps_quoted_dots_and_json_paths()
    {
        Assert.Equal(["rel", "sub", "\"a.b\""], RestQuery.SplitKey("rel.sub.\"a.b\""));
        Assert.Equal(["rel", "data->>x.y"], RestQuery.SplitKey("rel.data->>x.y"));
    }

    [Fact]
    public void Deep_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        var e = Assert.Throws<RestException>(() => QueryParser.ParseLogicTree(true, false, new string('(', 10_000)));
        Assert.Equal("PGRST100", e.Code);
    }
}
