using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>How a <see cref="RestQuery"/> becomes an HTTP request (method, path and query string, <c>Prefer</c>) and how its response body and count are read.</summary>
public sealed partial class RestQuery
{
    // ---- internals ---------------------------------------------------------------------------------

    internal enum Mode
    {
        Rows,
        Single,
        Head,
        Minimal,
    }

    private string SpanName => "Rest." + _state.Verb;

    internal async Task<HttpResponseMessage> SendAsync(Mode mode, CancellationToken cancellationToken)
    {
        var state = _state;
        var client = state.Client;
        var token = await client.Tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        if (token is null && client.RequiresUser && client.Connection.IsAnonymousKey)
        {
            throw CrmErrors.NotSignedIn();
        }

        var method = Method(mode);
        var isRead = method == HttpMethod.Get || method == HttpMethod.Head;
        var request = new CrmRequest
        {
            Method = method,
            PathAndQuery = BuildPathAndQuery(mode),
            LogPath = LogPath,
            BearerToken = token,
            Body = state.Verb is RestVerb.Delete or RestVerb.RpcGet or RestVerb.Select ? null : state.Body,
            Accept = mode == Mode.Single ? ObjectMediaType : "application/json",
            Prefer = BuildPrefer(mode),
            AcceptProfile = isRead ? client.SchemaName : null,
            ContentProfile = isRead ? null : client.SchemaName,
            Retryable = isRead || state.Retryable,
        };
        return await client.Connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private string LogPath => _state.Verb is RestVerb.Rpc or RestVerb.RpcGet ? "rest/v1/rpc/" + _state.Relation : "rest/v1/" + _state.Relation;

    private HttpMethod Method(Mode mode) => _state.Verb switch
    {
        RestVerb.Select => mode == Mode.Head ? HttpMethod.Head : HttpMethod.Get,
        RestVerb.RpcGet => mode == Mode.Head ? HttpMethod.Head : HttpMethod.Get,
        RestVerb.Insert or RestVerb.Upsert or RestVerb.Rpc => HttpMethod.Post,
        RestVerb.Update => HttpMethod.Patch,
        RestVerb.Delete => HttpMethod.Delete,
        _ => throw new InvalidOperationException(),
    };

    internal string BuildPathAndQuery(Mode mode)
    {
        var state = _state;
        var builder = new StringBuilder(128);
        builder.Append(state.Verb is RestVerb.Rpc or RestVerb.RpcGet ? "rest/v1/rpc/" : "rest/v1/");
        RestText.AppendEscaped(builder, state.Relation);
        var first = true;

        void Add(string key, string value)
        {
            builder.Append(first ? '?' : '&');
            first = false;
            RestText.AppendEscaped(builder, key);
            builder.Append('=');
            RestText.AppendEscaped(builder, value);
        }

        var returnsRows = mode is Mode.Rows or Mode.Single;
        if (state.Verb == RestVerb.Select)
        {
            Add("select", state.Select ?? "*");
        }
        else if (state.Select is not null && (returnsRows || state.Verb is RestVerb.Rpc or RestVerb.RpcGet))
        {
            Add("select", state.Select);
        }

        if (state.Columns is not null)
        {
            Add("columns", state.Columns);
        }

        if (state.OnConflict is not null && state.Verb == RestVerb.Upsert)
        {
            Add("on_conflict", state.OnConflict);
        }

        foreach (var (key, value) in state.Filters)
        {
            Add(key, value);
        }

        if (!state.Orders.IsEmpty)
        {
            foreach (var group in state.Orders.GroupBy(o => o.Key))
            {
                Add(group.Key.Length == 0 ? "order" : group.Key + ".order", string.Join(',', group.Select(o => o.Value)));
            }
        }

        if (!state.Paging.IsEmpty)
        {
            foreach (var (key, value) in state.Paging.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                Add(key, value);
            }
        }

        return builder.ToString();
    }

    private string? BuildPrefer(Mode mode)
    {
        var state = _state;
        if (state.Verb is RestVerb.Select or RestVerb.RpcGet or RestVerb.Rpc && state.Count is null)
        {
            return null;
        }

        var parts = new List<string>(4);
        if (state.Verb == RestVerb.Upsert)
        {
            parts.Add(state.IgnoreDuplicates ? "resolution=ignore-duplicates" : "resolution=merge-duplicates");
        }

        if (state.MissingDefault && state.Verb is RestVerb.Insert or RestVerb.Upsert or RestVerb.Update)
        {
            parts.Add("missing=default");
        }

        if (state.Count is { } count)
        {
            parts.Add("count=" + count switch { RestCount.Exact => "exact", RestCount.Planned => "planned", _ => "estimated" });
        }

        if (state.Verb is RestVerb.Insert or RestVerb.Upsert or RestVerb.Update or RestVerb.Delete)
        {
            parts.Add(mode is Mode.Rows or Mode.Single ? "return=representation" : "return=minimal");
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private static async Task<IReadOnlyList<T>> ReadRowsAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> rowType, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var first = FirstByte(stream);
        if (first is null || (first == (byte)'n' && stream.Length - stream.Position <= 6))
        {
            return [];
        }

        if (first == (byte)'[')
        {
            return await BufferedJson.DeserializeAsync(stream, ListTypeInfo.For(rowType), cancellationToken).ConfigureAwait(false) ?? [];
        }

        // A function returning one composite (or a scalar) answers with a bare value.
        var single = await BufferedJson.DeserializeAsync(stream, rowType, cancellationToken).ConfigureAwait(false);
        return single is null ? [] : [single];
    }

    private static byte? FirstByte(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return (byte)'[';
        }

        var start = stream.Position;
        int b;
        while ((b = stream.ReadByte()) >= 0 && b is ' ' or '\r' or '\n' or '\t')
        {
        }

        stream.Position = start;
        return b < 0 ? null : (byte)b;
    }

    internal static long? ReadCount(HttpResponseMessage response)
    {
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Range", out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            var slash = value.LastIndexOf('/');
            if (slash >= 0 && long.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total))
            {
                return total;
            }
        }

        return null;
    }
}
