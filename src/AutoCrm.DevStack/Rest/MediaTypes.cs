using System.Globalization;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace AutoCrm.DevStack.Rest;

/// <summary>How the rows of a response are aggregated into its body.</summary>
internal enum BodyKind
{
    /// <summary><c>application/json</c>: a JSON array.</summary>
    Json,

    /// <summary><c>application/vnd.pgrst.object+json</c>: one JSON object (406 PGRST116 otherwise).</summary>
    Singular,

    /// <summary><c>text/csv</c>: a header row, then one line per row in PostgreSQL's record text format.</summary>
    Csv,

    /// <summary><c>application/geo+json</c>: a FeatureCollection built with PostGIS's <c>ST_AsGeoJSON</c>.</summary>
    GeoJson,
}

/// <summary>The body format of a response: the aggregate and whether nulls are stripped (docs/protocols.md#media-types).</summary>
internal sealed record BodyFormat(BodyKind Kind, bool StripNulls)
{
    public static readonly BodyFormat Json = new(BodyKind.Json, false);

    public static readonly BodyFormat Singular = new(BodyKind.Singular, false);

    public bool IsSingular => Kind == BodyKind.Singular;

    /// <summary>The media type named in Content-Type (PostgREST's <c>toMime</c>).</summary>
    public string Mime => Kind switch
    {
        BodyKind.Singular => StripNulls ? "application/vnd.pgrst.object+json;nulls=stripped" : "application/vnd.pgrst.object+json",
        BodyKind.Csv => "text/csv",
        BodyKind.GeoJson => "application/geo+json",
        _ => StripNulls ? "application/vnd.pgrst.array+json;nulls=stripped" : "application/json",
    };
}

/// <summary><c>Accept: application/vnd.pgrst.plan[+json|+text]; for="…"; options=…</c>: EXPLAIN instead of rows.</summary>
internal sealed record PlanRequest(bool Json, IReadOnlyList<string> Options)
{
    /// <summary>The EXPLAIN option list, e.g. <c>FORMAT JSON, ANALYZE, VERBOSE</c>.</summary>
    public string ExplainOptions =>
        string.Join(", ", new[] { Json ? "FORMAT JSON" : "FORMAT TEXT" }.Concat(Options.Select(o => o.ToUpperInvariant())));
}

/// <summary>The outcome of content negotiation: the body format, and the plan request when EXPLAIN was asked for.</summary>
internal sealed record ResponseMedia(BodyFormat Format, PlanRequest? Plan)
{
    public static readonly ResponseMedia Default = new(BodyFormat.Json, null);

    public bool IsSingular => Plan is null && Format.IsSingular;

    /// <summary>The Content-Type header of a successful response.</summary>
    public string ContentType => Plan is null
        ? Format.Mime + "; charset=utf-8"
        : PlanMime(Plan, Format) + "; charset=utf-8";

    internal static string PlanMime(PlanRequest plan, BodyFormat format) =>
        "application/vnd.pgrst.plan+" + (plan.Json ? "json" : "text") + "; for=\"" + format.Mime + "\""
        + (plan.Options.Count == 0 ? "" : "; options=" + string.Join('|', plan.Options));
}

/// <summary>
/// PostgREST's content negotiation for tables, views and functions: the Accept header's media types in order of
/// preference, the first one that can be produced wins; none → 406 PGRST107 naming every type asked for.
/// </summary>
internal static class MediaTypes
{
    private static readonly string[] PlanOptionOrder = ["analyze", "verbose", "settings", "buffers", "wal"];

    /// <param name="accept">The Accept header(s).</param>
    /// <param name="planEnabled">PostgREST's <c>db-plan-enabled</c>: off unless the database turns it on.</param>
    public static ResponseMedia Negotiate(StringValues accept, bool planEnabled)
    {
        if (StringValues.IsNullOrEmpty(accept))
        {
            return ResponseMedia.Default;
        }

        var items = new List<(string Type, string[] Parameters, double Quality, int Index)>();
        foreach (var header in accept)
        {
            foreach (var raw in SplitOutsideQuotes(header ?? "", ','))
            {
                var parts = SplitOutsideQuotes(raw, ';').Select(p => p.Trim()).ToList();
                var type = parts[0].Trim();
                var quality = 1.0;
                var parameters = new List<string>();
                foreach (var p in parts.Skip(1))
                {
                    if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase))
                    {
                        _ = double.TryParse(p.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out quality);
                    }
                    else
                    {
                        parameters.Add(p);
                    }
                }

                items.Add((type, parameters.ToArray(), quality, items.Count));
            }
        }

        if (items.Count == 0)
        {
            return ResponseMedia.Default;
        }

        // Highest quality first; equal qualities keep the order they were sent in.
        var ordered = items.OrderByDescending(i => i.Quality).ThenBy(i => i.Index).ToList();
        var names = new List<string>();
        foreach (var (type, parameters, _, _) in ordered)
        {
            var media = Decode(type, parameters);
            names.Add(media.Name);
            if (media.Result is { } result && (result.Plan is null || planEnabled))
            {
                return result;
            }
        }

        throw new RestException(406, "PGRST107", "None of these media types are available: " + string.Join(", ", names));
    }

    /// <summary>
    /// The root endpoint produces its OpenAPI document for <c>application/openapi+json</c>, <c>application/json</c>
    /// and <c>*/*</c> (or no Accept); anything else is 406 PGRST107 like the other endpoints.
    /// </summary>
    public static void NegotiateRoot(StringValues accept)
    {
        if (StringValues.IsNullOrEmpty(accept))
        {
            return;
        }

        var names = new List<string>();
        foreach (var header in accept)
        {
            foreach (var raw in SplitOutsideQuotes(header ?? "", ','))
            {
                var parts = SplitOutsideQuotes(raw, ';');
                var type = parts[0].Trim();
                if (type.ToLowerInvariant() is "application/openapi+json" or "application/json" or "*/*" or "")
                {
                    return;
                }

                names.Add(Decode(type, parts.Skip(1).Select(p => p.Trim()).Where(p => !p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)).ToArray()).Name);
            }
        }

        if (names.Count > 0)
        {
            throw new RestException(406, "PGRST107", "None of these media types are available: " + string.Join(", ", names));
        }
    }

    /// <summary>One media type: what it produces (null when nothing can), and its name for the PGRST107 message.</summary>
    private static (ResponseMedia? Result, string Name) Decode(string type, IReadOnlyList<string> parameters)
    {
        var lower = type.ToLowerInvariant();
        switch (lower)
        {
            case "application/json":
                return (ResponseMedia.Default, "application/json");
            case "*/*" or "":
                return (ResponseMedia.Default, "*/*");
            case "text/csv":
                return (new ResponseMedia(new BodyFormat(BodyKind.Csv, false), null), "text/csv");
            case "application/geo+json":
                return (new ResponseMedia(new BodyFormat(BodyKind.GeoJson, false), null), "application/geo+json");
            case "application/vnd.pgrst.object+json" or "application/vnd.pgrst.object":
            {
                var format = new BodyFormat(BodyKind.Singular, IsStripped(parameters));
                return (new ResponseMedia(format, null), format.Mime);
            }

            case "application/vnd.pgrst.array+json" or "application/vnd.pgrst.array":
            {
                var format = new BodyFormat(BodyKind.Json, IsStripped(parameters));
                return (new ResponseMedia(format, null), format.Mime);
            }

            case "application/vnd.pgrst.plan" or "application/vnd.pgrst.plan+text" or "application/vnd.pgrst.plan+json":
                return DecodePlan(lower.EndsWith("+json", StringComparison.Ordinal), parameters);

            // Known to PostgREST, but tables and functions without a custom handler cannot produce them.
            case "text/plain" or "text/xml" or "application/openapi+json" or "application/x-www-form-urlencoded" or "application/octet-stream":
                return (null, lower);
            default:
                return (null, type);
        }
    }

    private static (ResponseMedia? Result, string Name) DecodePlan(bool json, IReadOnlyList<string> parameters)
    {
        var forType = "application/json";
        var options = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (p.StartsWith("for=", StringComparison.Ordinal))
            {
                forType = p[4..].Trim('"');
            }
            else if (p.StartsWith("options=", StringComparison.Ordinal))
            {
                foreach (var o in p[8..].Split('|'))
                {
                    options.Add(o);
                }
            }
        }

        var plan = new PlanRequest(json, PlanOptionOrder.Where(options.Contains).ToArray());
        var forParts = SplitOutsideQuotes(forType, ';').Select(s => s.Trim()).ToList();
        var (inner, innerName) = Decode(forParts[0], forParts.Skip(1).ToArray());
        if (inner is null || inner.Plan is not null)
        {
            // The plan of a body nobody can produce is no plan either; the name keeps the inner type as sent.
            return (null, "application/vnd.pgrst.plan+" + (json ? "json" : "text") + "; for=\"" + innerName + "\""
                + (plan.Options.Count == 0 ? "" : "; options=" + string.Join('|', plan.Options)));
        }

        return (new ResponseMedia(inner.Format, plan), ResponseMedia.PlanMime(plan, inner.Format));
    }

    private static bool IsStripped(IReadOnlyList<string> parameters) =>
        parameters.Count == 1 && parameters[0].Replace(" ", "", StringComparison.Ordinal) == "nulls=stripped";

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var ch in text)
        {
            if (ch == '"')
            {
                quoted = !quoted;
            }

            if (ch == separator && !quoted)
            {
                if (current.ToString().Trim().Length > 0)
                {
                    parts.Add(current.ToString().Trim());
                }

                current.Clear();
                continue;
            }

            current.Append(ch);
        }

        if (current.ToString().Trim().Length > 0 || parts.Count == 0)
        {
            parts.Add(current.ToString().Trim());
        }

        return parts;
    }
}
