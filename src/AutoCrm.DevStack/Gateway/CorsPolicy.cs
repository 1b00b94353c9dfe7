namespace AutoCrm.DevStack.Gateway;

/// <summary>
/// Which web origins may call the DevStack from a browser. Each entry is an origin (<c>https://app.example.com</c>),
/// an origin with any port (<c>http://localhost:*</c>), or <c>*</c> for every origin (the hosted platform's setting).
/// A request that carries an <c>Origin</c> header not on the list is refused with 403 before it reaches a service:
/// a web page the developer happens to open cannot drive the local project, not even over a websocket (which CORS
/// does not cover).
/// </summary>
internal sealed class CorsPolicy
{
    /// <summary>What every local page needs: loopback origins on any port, over http and https.</summary>
    internal static readonly IReadOnlyList<string> Loopback =
    [
        "http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*",
        "https://localhost:*", "https://127.0.0.1:*", "https://[::1]:*",
    ];

    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _anyPort = new(StringComparer.OrdinalIgnoreCase);

    internal CorsPolicy(IEnumerable<string> origins)
    {
        foreach (var entry in origins)
        {
            var origin = entry.Trim().TrimEnd('/');
            if (origin == "*")
            {
                AllowsAny = true;
            }
            else if (origin.EndsWith(":*", StringComparison.Ordinal))
            {
                _anyPort.Add(origin[..^2]);
            }
            else if (origin.Length > 0)
            {
                _exact.Add(Normalize(origin) ?? origin);
            }
        }
    }

    /// <summary>True when every origin is allowed (<c>*</c>); responses then say <c>Access-Control-Allow-Origin: *</c>.</summary>
    internal bool AllowsAny { get; }

    internal bool Allows(string origin)
    {
        if (AllowsAny)
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false; // "null" (a sandboxed frame or a file), or not an origin at all
        }

        return _exact.Contains(uri.GetLeftPart(UriPartial.Authority))
            || _anyPort.Contains($"{uri.Scheme}://{uri.Host}");
    }

    /// <summary>The origin part of a URL (<c>scheme://host[:port]</c>), or null when it is not an absolute http(s) URL.</summary>
    internal static string? Normalize(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.GetLeftPart(UriPartial.Authority) : null;
}
