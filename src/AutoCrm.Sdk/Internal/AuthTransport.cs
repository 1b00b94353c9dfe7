using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Internal;

/// <summary>Sends GoTrue requests (<c>/auth/v1</c>) with the Auth headers and reads typed answers.</summary>
internal static class AuthTransport
{
    public static Task<HttpResponseMessage> SendAsync(
        CrmConnection connection, HttpMethod method, string pathAndQuery, byte[]? body, string? bearer, bool retryable, CancellationToken cancellationToken)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return connection.SendAsync(
            new CrmRequest
            {
                Method = method,
                PathAndQuery = "auth/v1/" + pathAndQuery,
                LogPath = "auth/v1/" + (query < 0 ? pathAndQuery : pathAndQuery[..query]),
                BearerToken = bearer,
                Body = body,
                IsAuth = true,
                Retryable = retryable,
            },
            cancellationToken);
    }

    public static async Task<T> SendAsync<T>(
        CrmConnection connection, HttpMethod method, string pathAndQuery, byte[]? body, string? bearer, bool retryable,
        JsonTypeInfo<T> resultType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(connection, method, pathAndQuery, body, bearer, retryable, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, resultType, cancellationToken).ConfigureAwait(false)
                ?? throw new CrmException(new CrmErrorInfo { Status = (int)response.StatusCode, Code = "empty_response", Message = "The Auth server sent an empty answer." });
        }
        catch (JsonException ex)
        {
            throw CrmErrors.InvalidResponse("auth/v1/" + pathAndQuery.Split('?')[0], ex);
        }
    }

    /// <summary>auth-js counts <c>expires_at</c> itself when the server leaves it out.</summary>
    public static Auth.Session Normalize(Auth.Session session, TimeProvider timeProvider)
    {
        if (session.ExpiresAt != default)
        {
            return session;
        }

        if (session.ExpiresIn > 0)
        {
            return session with { ExpiresAt = timeProvider.GetUtcNow().AddSeconds(session.ExpiresIn) };
        }

        return JwtClaims.TryGetExpiry(session.AccessToken) is { } exp
            ? session with { ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(exp) }
            : session with { ExpiresAt = timeProvider.GetUtcNow().AddHours(1) };
    }
}
