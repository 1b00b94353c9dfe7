namespace AutoCrm.DevStack.Rest;

/// <summary>The "Perhaps you meant" of PostgREST's not-found errors: the closest name by edit distance.</summary>
internal static class NameSuggestions
{
    /// <summary>
    /// The first of <paramref name="names"/> nearest to <paramref name="name"/>, if near enough to suggest: within a
    /// third of its length for names, or (<paramref name="loose"/>, as PostgREST is for parameter lists) sharing at
    /// least a third of the longer text.
    /// </summary>
    public static string? Closest(IEnumerable<string> names, string name, bool loose = false) =>
        names.Select(n => (Name: n, Distance: Levenshtein(n, name)))
            .Where(x => loose
                ? x.Distance != int.MaxValue && x.Distance <= 2 * Math.Max(x.Name.Length, name.Length) / 3
                : x.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(x => x.Distance).FirstOrDefault().Name;

    private static int Levenshtein(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8 || a.Length > 128 || b.Length > 128)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
