namespace AutoCrm.DevStack.Rest;

internal enum ReturnPreference { Minimal, HeadersOnly, Representation }

internal enum CountPreference { None, Exact, Planned, Estimated }

internal enum ResolutionPreference { None, MergeDuplicates, IgnoreDuplicates }

/// <summary>The <c>Prefer</c> headers of one request (PROTOCOLS §2.4).</summary>
internal sealed record Preferences
{
    public ReturnPreference? Return { get; init; }

    public CountPreference Count { get; init; }

    public ResolutionPreference Resolution { get; init; }

    public bool MissingDefault { get; init; }

    public bool? Strict { get; init; }

    public string? Timezone { get; init; }

    public long? MaxAffected { get; init; }

    public static Preferences Parse(IEnumerable<string?> headers)
    {
        var result = new Preferences();
        var invalid = new List<string>();
        foreach (var header in headers)
        {
            if (header is null)
            {
                continue;
            }

            foreach (var raw in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = raw.IndexOf('=', StringComparison.Ordinal);
                var key = eq < 0 ? raw : raw[..eq].Trim();
                var value = eq < 0 ? "" : raw[(eq + 1)..].Trim();
                result = (key, value) switch
                {
                    ("return", "minimal") => result with { Return = ReturnPreference.Minimal },
                    ("return", "headers-only") => result with { Return = ReturnPreference.HeadersOnly },
                    ("return", "representation") => result with { Return = ReturnPreference.Representation },
                    ("count", "exact") => result with { Count = CountPreference.Exact },
                    ("count", "planned") => result with { Count = CountPreference.Planned },
                    ("count", "estimated") => result with { Count = CountPreference.Estimated },
                    ("resolution", "merge-duplicates") => result with { Resolution = ResolutionPreference.MergeDuplicates },
                    ("resolution", "ignore-duplicates") => result with { Resolution = ResolutionPreference.IgnoreDuplicates },
                    ("missing", "default") => result with { MissingDefault = true },
                    ("missing", "null") => result with { MissingDefault = false },
                    ("handling", "strict") => result with { Strict = true },
                    ("handling", "lenient") => result with { Strict = false },
                    ("timezone", _) when value.Length > 0 => result with { Timezone = value },
                    ("max-affected", _) when long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n) => result with { MaxAffected = n },
                    ("tx", "commit" or "rollback") => result,
                    ("params", "single-object") => result,
                    _ => Invalid(result, invalid, raw),
                };
            }
        }

        if (result.Strict == true && invalid.Count > 0)
        {
            throw new RestException(400, "PGRST122", "Invalid preferences given with handling=strict",
                "Invalid preferences: " + string.Join(", ", invalid));
        }

        return result;
    }

    private static Preferences Invalid(Preferences result, List<string> invalid, string raw)
    {
        invalid.Add(raw);
        return result;
    }
}
