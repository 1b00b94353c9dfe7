namespace AutoCrm.DevStack.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_give_the_cli_defaults()
    {
        Assert.True(CommandLine.TryParse([], out var command, out var error));
        Assert.Null(error);
        Assert.Equal(54321, command.Port);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, ".autocrm", "devstack"), command.DataDirectory);
        Assert.True(command.Seed);
        Assert.False(command.Reset);
        Assert.Null(command.DatabaseUrl);
        Assert.False(command.AuthRateLimits);
    }

    [Fact]
    public void Every_option_is_parsed_in_both_spellings()
    {
        Assert.True(CommandLine.TryParse(["--port", "0", "--data-dir=/tmp/x", "--db-url", "postgresql://u:p@h:1/d", "--no-seed", "--reset", "--auth-rate-limits"], out var command, out _));
        Assert.Equal(0, command.Port);
        Assert.Equal("/tmp/x", command.DataDirectory);
        Assert.Equal("postgresql://u:p@h:1/d", command.DatabaseUrl);
        Assert.False(command.Seed);
        Assert.True(command.Reset);
        Assert.True(command.AuthRateLimits);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--port", "abc")]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--data-dir")]
    [InlineData("--db-url", "")]
    [InlineData("--frobnicate")]
    [InlineData("--reset=yes")]
    [InlineData("--auth-rate-limits=no")]
    public void Bad_arguments_are_refused_with_a_message(params string[] args)
    {
        Assert.False(CommandLine.TryParse(args, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Help_is_not_an_error()
    {
        Assert.False(CommandLine.TryParse(["--help"], out _, out var error));
        Assert.Null(error);
        Assert.Contains("--db-url", CommandLine.Usage, StringComparison.Ordinal);
    }
}
