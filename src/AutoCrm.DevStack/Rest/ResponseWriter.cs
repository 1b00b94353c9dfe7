using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AutoCrm.DevStack.Rest;

/// <summary>Writes a REST response: status, Content-Range, Location, Preference-Applied, the body, errors.</summary>
internal static class ResponseWriter
{
    private const string JsonType = "application/json; charset=utf-8";

    /// <summary>The response to a request whose statement ran: status and headers by its kind, then its body.</summary>
    public static async Task WriteResultAsync(HttpContext http, RestStatement statement, RequestKind kind, string target, Preferences prefs, ResponseMedia media, StatementOutcome outcome, InDatabaseConfig config)
    {
        var (total, pageCount, body, headersJson, statusOverride) = outcome;
        var request = http.Request;
        var response = http.Response;
        var singular = media.IsSingular;
        string? appliedResolution = null, appliedMissing = null, appliedReturn = null, appliedCount = null;
        var isHead = HttpMethods.IsHead(request.Method);
        int status;
        var writeBody = true;

        switch (kind)
        {
            case RequestKind.Read:
            case RequestKind.Call when statement.Shape == ResultShape.Rows:
            {
                var offset = RangeHeader.RootOffset(request);
                status = 200;
                if (prefs.Count != CountPreference.None && total is { } t)
                {
                    appliedCount = "count=" + CountName(prefs.Count);
                    var last = offset + pageCount - 1;
                    if (offset > t && !(offset == 0 && t == 0))
                    {
                        throw new RestException(416, "PGRST103", "Requested range not satisfiable",
                            $"An offset of {offset} was requested, but there are only {t} rows.");
                    }

                    if (1 + last - offset < t)
                    {
                        status = 206;
                    }
                }

                response.Headers["Content-Range"] = (pageCount == 0 ? "*" : $"{offset}-{offset + pageCount - 1}") + "/" + (total is { } tt && prefs.Count != CountPreference.None ? tt.ToString(CultureInfo.InvariantCulture) : "*");
                if (kind == RequestKind.Read)
                {
                    response.Headers["Content-Location"] = ContentLocation(request, target);
                }

                break;
            }

            case RequestKind.Call:
                status = statement.Shape == ResultShape.None ? 204 : 200;
                writeBody = statement.Shape != ResultShape.None;
                if (statement.Shape == ResultShape.Value)
                {
                    // One value is one row: a count asked for is 1, as PostgREST counts a scalar or single-row call.
                    if (prefs.Count != CountPreference.None)
                    {
                        appliedCount = "count=" + CountName(prefs.Count);
                    }

                    response.Headers["Content-Range"] = prefs.Count != CountPreference.None ? "0-0/1" : "0-0/*";
                }

                break;
            default:
            {
                var ret = prefs.Return ?? ReturnPreference.Minimal;
                if (prefs.Return is not null)
                {
                    appliedReturn = "return=" + ret switch { ReturnPreference.HeadersOnly => "headers-only", ReturnPreference.Representation => "representation", _ => "minimal" };
                }

                if (prefs.Count != CountPreference.None)
                {
                    appliedCount = "count=" + CountName(prefs.Count);
                }

                var countText = prefs.Count != CountPreference.None ? pageCount.ToString(CultureInfo.InvariantCulture) : "*";
                if (kind is RequestKind.Insert or RequestKind.Put)
                {
                    if (prefs.Resolution != ResolutionPreference.None && kind == RequestKind.Insert)
                    {
                        appliedResolution = "resolution=" + (prefs.Resolution == ResolutionPreference.MergeDuplicates ? "merge-duplicates" : "ignore-duplicates");
                    }

                    if (prefs.Missing is { } missing)
                    {
                        appliedMissing = missing ? "missing=default" : "missing=null";
                    }

                    status = kind == RequestKind.Put ? 200 : prefs.Resolution == ResolutionPreference.MergeDuplicates && total == 0 && pageCount > 0 ? 200 : 201;
                    response.Headers["Content-Range"] = "*/" + countText;
                    if (statement.LocationKeys is { } keys && pageCount == 1 && body is not null)
                    {
                        response.Headers.Location = LocationHeader(target, keys, body, singular);
                    }
                }
                else
                {
                    status = ret == ReturnPreference.Representation ? 200 : 204;
                    response.Headers["Content-Range"] = kind == RequestKind.Delete || pageCount == 0
                        ? "*/" + countText
                        : $"0-{pageCount - 1}/{countText}";
                }

                if (ret != ReturnPreference.Representation)
                {
                    writeBody = false;
                }

                break;
            }
        }

        // PostgREST's order: resolution, missing, return, params, count, tx, handling, timezone, max-affected.
        List<string>? applied = null;
        AddIf(ref applied, appliedResolution);
        AddIf(ref applied, appliedMissing);
        AddIf(ref applied, appliedReturn);
        AddIf(ref applied, prefs.SingleObject && kind == RequestKind.Call ? "params=single-object" : null);
        AddIf(ref applied, appliedCount);
        string? appliedTx = null;
        if (prefs.Rollback is not null)
        {
            _ = config.EndsInRollback(prefs.Rollback, out appliedTx);
        }

        AddIf(ref applied, appliedTx);
        AddIf(ref applied, prefs.Strict is { } strict ? "handling=" + (strict ? "strict" : "lenient") : null);
        AddIf(ref applied, prefs.Timezone is { } tz ? "timezone=" + tz : null);
        AddIf(ref applied, prefs.Strict == true && prefs.MaxAffected is { } max && kind != RequestKind.Read ? "max-affected=" + max.ToString(CultureInfo.InvariantCulture) : null);

        if (applied is not null)
        {
            response.Headers["Preference-Applied"] = string.Join(", ", applied);
        }

        ApplyFunctionOverrides(response, headersJson, statusOverride, ref status);
        response.StatusCode = status;
        if (!writeBody || status == 204)
        {
            return;
        }

        response.ContentType = media.ContentType;
        if (!isHead)
        {
            // A known length: no chunked framing for the (usually small) body.
            var bytes = body ?? NullBody;
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static void AddIf(ref List<string>? list, string? value)
    {
        if (value is not null)
        {
            (list ??= new List<string>(4)).Add(value);
        }
    }

    private static void ApplyFunctionOverrides(HttpResponse response, string? headersJson, string? statusOverride, ref int status)
    {
        if (statusOverride is not null && int.TryParse(statusOverride, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 100 and <= 599)
        {
            status = s;
        }

        if (headersJson is null)
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(headersJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var p in item.EnumerateObject())
                {
                    response.Headers[p.Name] = p.Value.ToString();
                }
            }
        }
        catch (JsonException)
        {
            // PostgREST answers 500 PGRST111 here; a dev server ignores the bad header list.
        }
    }

    private static string CountName(CountPreference count) => count switch
    {
        CountPreference.Exact => "exact",
        CountPreference.Planned => "planned",
        _ => "estimated",
    };

    private static string ContentLocation(HttpRequest request, string target)
    {
        var raw = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        if (IsSortedAndClean(raw))
        {
            // The common case needs no splitting: the pairs are already in key order, none empty.
            return raw.Length > 0 ? string.Concat("/", target, "?", raw) : "/" + target;
        }

        var pairs = raw.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => (Key: p.Split('=')[0], Pair: p))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Pair);
        var query = string.Join('&', pairs);
        return "/" + target + (query.Length > 0 ? "?" + query : "");
    }

    /// <summary>Whether the pairs of <paramref name="raw"/> are non-empty and their keys in (ordinal) order.</summary>
    private static bool IsSortedAndClean(string raw)
    {
        if (raw.Length == 0)
        {
            return true;
        }

        if (raw[0] == '&' || raw[^1] == '&' || raw.Contains("&&", StringComparison.Ordinal))
        {
            return false;
        }

        var previous = ReadOnlySpan<char>.Empty;
        var first = true;
        foreach (var range in raw.AsSpan().Split('&'))
        {
            var pair = raw.AsSpan(range);
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (!first && previous.SequenceCompareTo(key) > 0)
            {
                return false;
            }

            previous = key;
            first = false;
        }

        return true;
    }

    private static readonly byte[] NullBody = "null"u8.ToArray();

    private static string LocationHeader(string target, IReadOnlyList<string> keys, byte[] body, bool singular)
    {
        using var doc = JsonDocument.Parse(body);
        var row = singular ? doc.RootElement : doc.RootElement[0];
        var parts = keys.Select(k => $"{Uri.EscapeDataString(k)}=eq.{Uri.EscapeDataString(row.TryGetProperty(k, out var v) ? RequestBody.JsonText(v) : "")}");
        return "/" + target + "?" + string.Join('&', parts);
    }

    /// <summary>An execution plan (<c>Accept: application/vnd.pgrst.plan</c>) as the body.</summary>
    public static async Task WritePlanAsync(HttpContext http, ResponseMedia media, string plan)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = media.ContentType;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.WriteAsync(plan, http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The root path: a minimal OpenAPI document naming the schema.</summary>
    public static async Task WriteRootAsync(HttpContext http, string schemaName)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/openapi+json; charset=utf-8";
        var doc = new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "AutoCRM DevStack REST", ["version"] = "1" },
            ["basePath"] = "/",
            ["schemes"] = new JsonArray("http"),
            ["x-schema"] = schemaName,
            ["paths"] = new JsonObject(),
        };
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.WriteAsync(doc.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>An error in PostgREST's shape (code, details, hint, message) with its status and headers.</summary>
    public static async Task WriteErrorAsync(HttpContext http, RestException e)
    {
        var response = http.Response;
        if (response.HasStarted)
        {
            http.Abort();
            return;
        }

        response.Clear();
        response.StatusCode = e.Status;
        response.ContentType = JsonType;
        response.Headers["Proxy-Status"] = $"PostgREST; error={e.Code}";
        if (e.Headers is not null)
        {
            foreach (var (k, v) in e.Headers)
            {
                response.Headers[k] = v;
            }
        }
        else if (e.Status == 401)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        var body = new JsonObject
        {
            ["code"] = e.Code,
            ["details"] = e.DetailsNode?.DeepClone() ?? e.Details,
            ["hint"] = e.Hint,
            ["message"] = e.Message,
        };
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.WriteAsync(body.ToJsonString(), CancellationToken.None).ConfigureAwait(false);
        }
    }

}
