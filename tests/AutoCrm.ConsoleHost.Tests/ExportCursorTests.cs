using System.Globalization;
using System.Text;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Transfer;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class ExportCursorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_next_export_starts_an_overlap_before_the_highest_change_and_remembers_what_it_read_there()
    {
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var cursor = ExportCursor.After(null, [(a, 1, T0.AddMinutes(-30)), (b, 3, T0.AddMinutes(-5)), (c, 2, T0)], TimeSpan.FromMinutes(10));

        Assert.Equal(T0, cursor.High);
        Assert.Equal(T0.AddMinutes(-10), cursor.Watermark);
        Assert.False(cursor.AlreadyExported(a, 1));
        Assert.True(cursor.AlreadyExported(b, 3));
        Assert.True(cursor.AlreadyExported(c, 2));
        Assert.False(cursor.AlreadyExported(c, 3));
    }

    [Fact]
    public void The_high_mark_never_moves_back_when_an_export_reads_only_older_rows()
    {
        var previous = ExportCursor.After(null, [(Guid.NewGuid(), 1, T0)], TimeSpan.FromMinutes(10));
        var late = Guid.NewGuid();
        var next = ExportCursor.After(previous, [(late, 4, T0.AddMinutes(-2))], TimeSpan.FromMinutes(10));

        Assert.Equal(T0, next.High);
        Assert.True(next.AlreadyExported(late, 4));
    }

    [Fact]
    public void A_cursor_survives_encoding()
    {
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        var cursor = ExportCursor.After(null, ids.Select((id, i) => (id, i + 1, T0.AddSeconds(i))), TimeSpan.FromSeconds(90));

        var decoded = ExportCursor.Decode(cursor.Encode());

        Assert.Equal(cursor.High, decoded.High);
        Assert.Equal(TimeSpan.FromSeconds(90), decoded.Overlap);
        Assert.Equal(cursor.Seen.Order(), decoded.Seen.Order());
        Assert.DoesNotContain('=', cursor.Encode());
        Assert.Null(ExportCursor.Decode(ExportCursor.After(null, [], TimeSpan.FromMinutes(1)).Encode()).Watermark);
    }

    [Fact]
    public void A_first_version_cursor_is_read_with_the_default_overlap()
    {
        var v1 = Convert.ToBase64String(Encoding.UTF8.GetBytes($"v1|{T0.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}|{Guid.NewGuid()}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        var cursor = ExportCursor.Decode(v1);

        Assert.Equal(T0 - ExportCursor.DefaultOverlap, cursor.Watermark);
        Assert.Empty(cursor.Seen);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("djJ8LXwxMHxBQUE")]
    [InlineData("djN8eHx5")]
    public void Anything_else_is_a_usage_error(string token)
    {
        Assert.Throws<UsageException>(() => ExportCursor.Decode(token));
    }
}
