using AutoCrm.DevStack.Realtime;
using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>The dispatcher's binding index: a change reaches only the bindings whose selective value it carries.</summary>
public sealed class BindingIndexTests
{
    private static readonly PgTypeInfo Uuid = new(2950, "uuid", "uuid", null);
    private static readonly PgTypeInfo Int4 = new(23, "int4", "integer", null);
    private static readonly PgTypeInfo Text = new(25, "text", "text", null);
    private static readonly RelationInfo Tickets = new(1, "public", "tickets", [new RelationColumn("id", Uuid, true), new RelationColumn("rank", Int4, false), new RelationColumn("subject", Text, false)], [0]);

    private static PostgresBinding Binding(int id, string? filter, string? table = "tickets")
    {
        var filters = filter is null ? [] : FilterCondition.ParseAll(filter);
        foreach (var condition in filters)
        {
            Assert.Null(condition.ValidateFor(condition.Column switch { "id" => "uuid", "rank" => "int4", _ => "text" }));
        }

        return new PostgresBinding(id, "public", table, "*", filters, null!);
    }

    private static RowChange Change(string type, Guid id, int rank) =>
        new(Tickets, type, [new RowValue(id.ToString(), true), new RowValue(rank.ToString(System.Globalization.CultureInfo.InvariantCulture), true), new RowValue("hello", true)], null, DateTime.UtcNow);

    [Fact]
    public void A_change_reaches_the_bindings_whose_eq_or_in_value_it_carries_and_the_unindexed_ones()
    {
        var ticket = Guid.NewGuid();
        var bindings = new[]
        {
            Binding(1, $"id=eq.{ticket.ToString().ToUpperInvariant()}"),
            Binding(2, $"id=eq.{Guid.NewGuid()}"),
            Binding(3, "rank=in.(1,5.0,9)"),
            Binding(4, "rank=in.(2,3)"),
            Binding(5, "subject=like.h%"),
            Binding(6, null),
            Binding(7, "rank=eq.5", table: "other"),
            Binding(8, null, table: null),
        };
        var index = new BindingIndex(bindings);
        var change = Change("UPDATE", ticket, 5);

        Assert.Equal([1, 3, 5, 6, 8], index.Candidates(change, new ParsedRow(change)).Select(b => b.Id).Order());

        // A DELETE's filters see only what the subscriber may see, later: every binding of the table is a candidate.
        var delete = Change("DELETE", ticket, 5);
        Assert.Equal([1, 2, 3, 4, 5, 6, 8], index.Candidates(delete, new ParsedRow(delete)).Select(b => b.Id).Order());
    }
}
