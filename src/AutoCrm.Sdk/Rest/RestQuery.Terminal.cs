using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>The terminal methods of <see cref="RestQuery"/>: send the request and read rows, a count or raw JSON.</summary>
public sealed partial class RestQuery
{
    // ---- terminal ----------------------------------------------------------------------------------

    /// <summary>Sends the request and returns the rows (a write returns its representation).</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rows.</returns>
    public async Task<IReadOnlyList<T>> ToListAsync<T>(JsonTypeInfo<T> rowType, CancellationToken cancellationToken = default) =>
        (await ToResultAsync(rowType, cancellationToken).ConfigureAwait(false)).Rows;

    /// <summary>Sends the request and returns the rows with the count (when <see cref="Count"/> was asked) and status.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<RestResult<T>> ToResultAsync<T>(JsonTypeInfo<T> rowType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rowType);
        using var activity = CrmTelemetry.StartCall(SpanName);
        try
        {
            using var response = await SendAsync(Mode.Rows, cancellationToken).ConfigureAwait(false);
            var rows = await ReadRowsAsync(response, rowType, cancellationToken).ConfigureAwait(false);
            return new RestResult<T> { Rows = rows, TotalCount = ReadCount(response), Status = (int)response.StatusCode };
        }
        catch (JsonException ex)
        {
            var error = CrmErrors.InvalidResponse(LogPath, ex);
            CrmTelemetry.RecordFailure(activity, error);
            throw error;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sends the request asking for exactly one row (<c>Accept: application/vnd.pgrst.object+json</c>).</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The row.</returns>
    /// <exception cref="CrmNotFoundException">No row matched (or row-level security hides it).</exception>
    /// <exception cref="CrmException">More than one row matched (406, <c>PGRST116</c>).</exception>
    public async Task<T> SingleAsync<T>(JsonTypeInfo<T> rowType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rowType);
        using var activity = CrmTelemetry.StartCall(SpanName);
        try
        {
            using var response = await SendAsync(Mode.Single, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await BufferedJson.DeserializeAsync(stream, rowType, cancellationToken).ConfigureAwait(false)
                ?? throw new CrmNotFoundException(new CrmErrorInfo { Status = 406, Code = "PGRST116", Message = "The result contains 0 rows" });
        }
        catch (JsonException ex)
        {
            var error = CrmErrors.InvalidResponse(LogPath, ex);
            CrmTelemetry.RecordFailure(activity, error);
            throw error;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sends the request expecting zero or one row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="rowType">Its source-generated JSON metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The row, or <see langword="default"/> when none matched.</returns>
    /// <exception cref="CrmException">More than one row matched (406, <c>PGRST116</c>).</exception>
    public async Task<T?> MaybeSingleAsync<T>(JsonTypeInfo<T> rowType, CancellationToken cancellationToken = default)
    {
        var rows = await ToListAsync(rowType, cancellationToken).ConfigureAwait(false);
        return rows.Count switch
        {
            0 => default,
            1 => rows[0],
            _ => throw new CrmException(new CrmErrorInfo
            {
                Status = 406,
                Code = "PGRST116",
                Message = "JSON object requested, multiple (or no) rows returned",
                Details = $"Results contain {rows.Count} rows, application/vnd.pgrst.object+json requires 1 row",
            }),
        };
    }

    /// <summary>Sends the request and returns the response body as JSON (an array, an object, a scalar, or
    /// <see cref="JsonValueKind.Undefined"/> for an empty body).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The body.</returns>
    public async Task<JsonElement> ToJsonAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall(SpanName);
        try
        {
            using var response = await SendAsync(Mode.Rows, cancellationToken).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (bytes.AsSpan().Trim(" \r\n\t"u8).IsEmpty)
            {
                return default;
            }

            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            var error = CrmErrors.InvalidResponse(LogPath, ex);
            CrmTelemetry.RecordFailure(activity, error);
            throw error;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Counts the matching rows without fetching them (HEAD with <c>Prefer: count=…</c>).</summary>
    /// <param name="mode">How to count.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    public async Task<long> CountAsync(RestCount mode = RestCount.Exact, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall(SpanName);
        try
        {
            using var response = await With(_state with { Count = mode }).SendAsync(Mode.Head, cancellationToken).ConfigureAwait(false);
            return ReadCount(response) ?? throw new CrmException(new CrmErrorInfo
            {
                Status = (int)response.StatusCode,
                Code = "count_missing",
                Message = "The server did not return a row count (Content-Range).",
            });
        }
        catch (JsonException ex)
        {
            var error = CrmErrors.InvalidResponse(LogPath, ex);
            CrmTelemetry.RecordFailure(activity, error);
            throw error;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sends the request without asking for rows back (<c>Prefer: return=minimal</c> on writes).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The HTTP status and count.</returns>
    public async Task<RestResult<JsonElement>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall(SpanName);
        try
        {
            using var response = await SendAsync(Mode.Minimal, cancellationToken).ConfigureAwait(false);
            return new RestResult<JsonElement> { Rows = [], TotalCount = ReadCount(response), Status = (int)response.StatusCode };
        }
        catch (JsonException ex)
        {
            var error = CrmErrors.InvalidResponse(LogPath, ex);
            CrmTelemetry.RecordFailure(activity, error);
            throw error;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>The request this query sends (method, path and query string), for logs and tests. Contains filter values.</summary>
    /// <returns>For example <c>GET rest/v1/tickets?select=*&amp;status=eq.open</c>.</returns>
    public override string ToString() => $"{Method(Mode.Rows).Method} {BuildPathAndQuery(Mode.Rows)}";
}
