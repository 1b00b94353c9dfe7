namespace AutoCrm.DevStack.Rest;

internal enum ReturnPreference { Minimal, HeadersOnly, Representation }

internal enum CountPreference { None, Exact, Planned, Estimated }

internal enum ResolutionPreference { None, MergeDuplicates, IgnoreDuplicates }

/// <summary>
/// The <c>Prefer</c> headers of one request (docs/protocols.md#prefer-header), read as PostgREST does: comma-separated across any
/// number of headers, the first value of each preference wins, and unknown ones are invalid (PGRST122 under
/// <c>handling=strict</c>, ignored otherwise).
/// </summary>
internal sealed record Preferences
{
    public ReturnPreference? Return { get; init; }

    public CountPreference Count { get; init; }

    public ResolutionPreference Resolution { get; init; }

    /// <summary><c>missing=default</c> (true), <c>missing=null</c> (false), or not given.</summary>
    public bool? Missing { get; init; }

    public bool MissingDefault => Missing == true;

    public bool? Strict { get; init; }

    /// <summary>An accepted <c>timezone=</c> (a name PostgreSQL knows); anything else is an invalid preference.</summary>
    public string? Timezone { get; init; }

    public long? MaxAffected { get; init; }

    /// <summary><c>params=single-object</c> (deprecated in PostgREST, still recognised).</summary>
    public bool SingleObject { get; init; }

    /// <summary><c>tx=rollback</c> (true) or <c>tx=commit</c> (false); null when not asked.</summary>
    public bool? Rollback { get; init; }

    /// <param name="headers">The Prefer header values.</param>
    /// <param name="isTimezone">Whether a name is one of PostgreSQL's time zones (null: accept any).</param>
    public static Preferences Parse(IEnumerable<string?> headers, Func<string, bool>? isTimezone = null)
    {
        var result = new Preferences();
        var invalid = new List<string>();
        bool returnSet = false, countSet = false, resolutionSet = false, handlingSet = false, paramsSet = false, tzSet = false, maxSet = false;
        foreach (var header in headers)
        {
            if (header is null)
            {
                continue;
            }

            foreach (var raw in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                switch (raw)
                {
                    case "return=minimal" or "return=headers-only" or "return=representation":
                        if (!returnSet)
                        {
                            returnSet = true;
                            result = result with
                            {
                                Return = raw switch
                                {
                                    "return=minimal" => ReturnPreference.Minimal,
                                    "return=headers-only" => ReturnPreference.HeadersOnly,
                                    _ => ReturnPreference.Representation,
                                },
                            };
                        }

                        continue;
                    case "count=exact" or "count=planned" or "count=estimated":
                        if (!countSet)
                        {
                            countSet = true;
                            result = result with
                            {
                                Count = raw switch
                                {
                                    "count=exact" => CountPreference.Exact,
                                    "count=planned" => CountPreference.Planned,
                                    _ => CountPreference.Estimated,
                                },
                            };
                        }

                        continue;
                    case "resolution=merge-duplicates" or "resolution=ignore-duplicates":
                        if (!resolutionSet)
                        {
                            resolutionSet = true;
                            result = result with { Resolution = raw == "resolution=merge-duplicates" ? ResolutionPreference.MergeDuplicates : ResolutionPreference.IgnoreDuplicates };
                        }

                        continue;
                    case "missing=default" or "missing=null":
                        result = result with { Missing = result.Missing ?? raw == "missing=default" };
                        continue;
                    case "handling=strict" or "handling=lenient":
                        if (!handlingSet)
                        {
                            handlingSet = true;
                            result = result with { Strict = raw == "handling=strict" };
                        }

                        continue;
                    case "params=single-object":
                        if (!paramsSet)
                        {
                            paramsSet = true;
                            result = result with { SingleObject = true };
                        }

                        continue;

                    // Honoured only where db-tx-end allows an override (InDatabaseConfig.EndFor).
                    case "tx=commit" or "tx=rollback":
                        if (result.Rollback is null)
                        {
                            result = result with { Rollback = raw == "tx=rollback" };
                        }

                        continue;
                }

                if (raw.StartsWith("max-affected=", StringComparison.Ordinal))
                {
                    // Never invalid, even when its number is not one; the first parseable value counts.
                    if (!maxSet && long.TryParse(raw.AsSpan(13), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n))
                    {
                        maxSet = true;
                        result = result with { MaxAffected = n };
                    }

                    continue;
                }

                if (raw.StartsWith("timezone=", StringComparison.Ordinal) && raw.Length > 9 && (isTimezone?.Invoke(raw[9..]) ?? true))
                {
                    if (!tzSet)
                    {
                        tzSet = true;
                        result = result with { Timezone = raw[9..] };
                    }

                    continue;
                }

                invalid.Add(raw);
            }
        }

        if (result.Strict == true && invalid.Count > 0)
        {
            throw new RestException(400, "PGRST122", "Invalid preferences given with handling=strict",
                "Invalid preferences: " + string.Join(", ", invalid));
        }

        return result;
    }
}
