using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace AutoCrm.DevStack.Rest;

/// <summary>The <c>Range: items=from-to</c> header and the offset it (or <c>offset=</c>) gives the root.</summary>
internal static class RangeHeader
{
    public static void Apply(HttpRequest request, RestQuery query)
    {
        var range = request.Headers.Range.ToString();
        if (range.Length == 0)
        {
            return;
        }

        var spec = range.StartsWith("items=", StringComparison.OrdinalIgnoreCase) ? range[6..] : range;
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(spec.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            return;
        }

        long? to = null;
        if (dash + 1 < spec.Length)
        {
            if (!long.TryParse(spec.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                return;
            }

            to = t;
        }

        if (to < from)
        {
            throw new RestException(416, "PGRST103", "Requested range not satisfiable", "The lower boundary must be lower than or equal to the upper boundary in the Range header.");
        }

        var root = query.Root;
        root.Offset ??= from;
        if (to is { } upper)
        {
            root.Limit = root.Limit is { } l ? Math.Min(l, upper - from + 1) : upper - from + 1;
        }
    }

    public static long RootOffset(HttpRequest request)
    {
        long offset = 0;
        if (request.Query.TryGetValue("offset", out var o) && long.TryParse(o.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            offset = parsed;
        }
        else
        {
            var range = request.Headers.Range.ToString();
            var spec = range.StartsWith("items=", StringComparison.OrdinalIgnoreCase) ? range[6..] : range;
            var dash = spec.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && long.TryParse(spec.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from))
            {
                offset = from;
            }
        }

        return offset;
    }
}
