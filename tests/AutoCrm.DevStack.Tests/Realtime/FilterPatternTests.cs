using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>
/// The linear-time pattern automaton behind match/imatch/like/ilike filters: PostgreSQL-like answers, refusal of what needs
/// backtracking, and a step count that no pattern can push past (text length + 1) × 2 × (pattern size).
/// </summary>
public sealed class FilterPatternTests
{
    [Theory]
    [InlineData("^ab+c$", "abbbc", true)]
    [InlineData("^ab+c$", "ac", false)]
    [InlineData("b", "abc", true)] // a search, like ~
    [InlineData("^$", "", true)]
    [InlineData("", "anything", true)]
    [InlineData("a{2,3}x", "aax", true)]
    [InlineData("^a{2,3}x", "ax", false)]
    [InlineData("^a{2}$", "aaa", false)]
    [InlineData("^(?:ab|cd)+$", "abcdab", true)]
    [InlineData("^(ab|cd)+$", "abce", false)]
    [InlineData("[[:digit:]]{3}", "ab123", true)]
    [InlineData("^[^0-9]+$", "abc", true)]
    [InlineData("^[^0-9]+$", "ab3", false)]
    [InlineData("\\d+\\.\\d", "v1.2", true)]
    [InlineData("^\\w+\\s\\w+$", "refund please", true)]
    [InlineData("a.c", "a\nc", true)] // '.' matches a newline, as in PostgreSQL
    [InlineData("x|y", "zzy", true)]
    [InlineData("^[a\\-z]$", "-", true)]
    [InlineData("^[]a]$", "]", true)]
    [InlineData("^a*?b", "aab", true)]
    public void Regular_expressions_match_like_postgres(string pattern, string text, bool expected)
    {
        var compiled = LinearPattern.FromRegex(pattern, ignoreCase: false, maxSize: 1000);
        long budget = long.MaxValue;
        Assert.Equal(expected ? PatternResult.Matched : PatternResult.NotMatched, compiled.Match(text, ref budget));
    }

    [Theory]
    [InlineData("^AB+c$", "abBC", true)]
    [InlineData("^[^a]$", "A", false)] // a negated class excludes every case of its letters
    [InlineData("^[[:upper:]]$", "q", true)]
    public void Case_insensitive_matching_folds_both_sides(string pattern, string text, bool expected)
    {
        long budget = long.MaxValue;
        Assert.Equal(expected ? PatternResult.Matched : PatternResult.NotMatched, LinearPattern.FromRegex(pattern, ignoreCase: true, maxSize: 1000).Match(text, ref budget));
    }

    [Theory]
    [InlineData("(a)\\1", "back-references")]
    [InlineData("(?=a)a", "lookahead")]
    [InlineData("(?i)a", "embedded options")]
    [InlineData("\\bword\\b", "word boundaries")]
    [InlineData("(a", "not balanced")]
    [InlineData("a)", "unmatched ')'")]
    [InlineData("[a-", "not balanced")]
    [InlineData("*a", "quantifier operand invalid")]
    [InlineData("a{300}", "at most 255")]
    [InlineData("(a{200}){200}", "too complex")]
    [InlineData("((a|b){30}a){40}", "too complex")]
    public void Patterns_that_need_backtracking_or_are_too_large_are_refused(string pattern, string message)
    {
        var error = Assert.Throws<FormatException>(() => LinearPattern.FromRegex(pattern, ignoreCase: false, maxSize: 1000));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(a+)+$")]
    [InlineData("^(a|aa)+$")]
    [InlineData("(x+x+)+y")]
    [InlineData("(a|b)*a(a|b){20}c$")]
    [InlineData("(?:(a|b)*a(a|b){30}){5}c$")]
    [InlineData("(.*a){20}")]
    [InlineData("(\\w+\\s?)*$")]
    public void Catastrophic_patterns_cost_at_most_text_length_times_pattern_size(string pattern)
    {
        // Patterns that take exponential time with backtracking, or blow up a lazily built DFA, against texts made to hurt.
        var compiled = LinearPattern.FromRegex(pattern, ignoreCase: false, maxSize: 1000);
        foreach (var text in new[] { new string('a', 5000) + "!", string.Concat(Enumerable.Repeat("ab", 2500)) + "!", new string('x', 5000) })
        {
            var bound = 2L * (text.Length + 1) * compiled.Size;
            long budget = bound;
            Assert.NotEqual(PatternResult.OutOfBudget, compiled.Match(text, ref budget));
            Assert.InRange(bound - budget, 1, bound);
        }
    }

    [Fact]
    public void A_match_stops_when_its_budget_runs_out()
    {
        var compiled = LinearPattern.FromRegex("(a|b)*a(a|b){20}c$", ignoreCase: false, maxSize: 1000);
        long budget = 1000;
        Assert.Equal(PatternResult.OutOfBudget, compiled.Match(string.Concat(Enumerable.Repeat("ab", 2500)), ref budget));
        Assert.True(budget < 0);
    }

    [Theory]
    [InlineData("%ab%", "xxabyy", true)]
    [InlineData("a\\%b", "a%b", true)]
    [InlineData("a_c", "a\nc", true)]
    [InlineData("%a%a%a%a%a%a%a%a%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false)]
    public void Like_patterns_match_the_whole_text(string pattern, string text, bool expected)
    {
        long budget = long.MaxValue;
        Assert.Equal(expected ? PatternResult.Matched : PatternResult.NotMatched, LinearPattern.FromLike(pattern, ignoreCase: false, maxSize: 1000).Match(text, ref budget));
    }
}
