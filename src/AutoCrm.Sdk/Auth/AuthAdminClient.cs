using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

/// <summary>
/// User management for back-office code (<c>/auth/v1/admin</c>). The client must be built with the service_role (or
/// <c>sb_secret_…</c>) key; these calls always authenticate with that key, never with a signed-in user's token.
/// </summary>
public class AuthAdminClient
{
    private readonly CrmConnection _connection = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected AuthAdminClient()
    {
    }

    internal AuthAdminClient(CrmConnection connection) => _connection = connection;

    /// <summary>Lists the users, page after page (GoTrue numbers its pages; the continuation token carries the next one),
    /// with <see cref="CrmPage{T}.TotalCount"/> from the server's <c>X-Total-Count</c>.</summary>
    /// <param name="pageSize">Users per request (1 to 1000; default 50).</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="CrmValidationException"><paramref name="pageSize"/> is out of range (field <c>page_size</c>).</exception>
    /// <exception cref="CrmForbiddenException">The client's key is not a service key (<c>not_admin</c>); thrown when enumeration starts.</exception>
    public virtual CrmPageable<User> ListUsersAsync(int pageSize = 50, CancellationToken cancellationToken = default)
    {
        Guard.InRange(pageSize, 1, 1000, "page_size");
        return new UserListing(this, pageSize, cancellationToken);
    }

    /// <summary>One page of users, and the next page number from <c>Link</c> (<see langword="null"/> on the last page).</summary>
    private async Task<(IReadOnlyList<User> Users, long? Total, int? Next)> ListPageAsync(int page, int perPage, CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.StartCall("Auth.Admin.ListUsers");
        try
        {
            var query = string.Create(CultureInfo.InvariantCulture, $"admin/users?page={page}&per_page={perPage}");
            using var response = await AuthTransport.SendAsync(_connection, HttpMethod.Get, query, null, null, true, cancellationToken).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var body = await JsonSerializer.DeserializeAsync(stream, CrmJsonContext.Default.AdminUsersResponse, cancellationToken).ConfigureAwait(false);
            long? total = response.Headers.TryGetValues("X-Total-Count", out var totals)
                && long.TryParse(totals.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            int? next = null;
            if (response.Headers.TryGetValues("Link", out var links))
            {
                foreach (var link in string.Join(',', links).Split(','))
                {
                    if (link.Contains("rel=\"next\"", StringComparison.Ordinal))
                    {
                        next = LinkPage(link);
                    }
                }
            }

            var users = body?.Users ?? [];
            if (users.Count == 0 || (total is { } all && (long)page * perPage >= all))
            {
                // Nothing follows: no token, so "load more" never loads an empty page.
                next = null;
            }

            return (users, total, next);
        }
        catch (JsonException ex)
        {
            throw CrmErrors.InvalidResponse("the user listing", ex);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads one user.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user.</returns>
    /// <exception cref="CrmNotFoundException">There is no such user.</exception>
    public virtual async Task<User> GetUserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.Admin.GetUser");
        try
        {
            return await AuthTransport.SendAsync(_connection, HttpMethod.Get, $"admin/users/{userId:D}", null, null, true, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Creates a user (confirmed at once when <see cref="AdminUserAttributes.EmailConfirm"/> is set).</summary>
    /// <param name="attributes">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new user.</returns>
    /// <exception cref="CrmConflictException">The e-mail address is taken (<c>email_exists</c>).</exception>
    public virtual async Task<User> CreateUserAsync(AdminUserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var activity = CrmTelemetry.StartCall("Auth.Admin.CreateUser");
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(attributes, CrmJsonContext.Default.AdminUserAttributes);
            return await AuthTransport.SendAsync(_connection, HttpMethod.Post, "admin/users", body, null, false, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a user.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="attributes">The fields to change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed user.</returns>
    public virtual async Task<User> UpdateUserAsync(Guid userId, AdminUserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var activity = CrmTelemetry.StartCall("Auth.Admin.UpdateUser");
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(attributes, CrmJsonContext.Default.AdminUserAttributes);
            return await AuthTransport.SendAsync(_connection, HttpMethod.Put, $"admin/users/{userId:D}", body, null, true, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a user (and, through the database, their profile and tickets).</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="softDelete">Keep the row, marked deleted, instead of removing it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the user is gone.</returns>
    public virtual async Task DeleteUserAsync(Guid userId, bool softDelete = false, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.Admin.DeleteUser");
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new AdminDeleteRequest(softDelete), CrmJsonContext.Default.AdminDeleteRequest);
            using var response = await AuthTransport.SendAsync(_connection, HttpMethod.Delete, $"admin/users/{userId:D}", body, null, false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private static int? LinkPage(string link)
    {
        // auth-js reads the number after the first '=' of the link; page comes first in GoTrue's links.
        var start = link.IndexOf("page=", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += 5;
        var end = start;
        while (end < link.Length && char.IsAsciiDigit(link[end]))
        {
            end++;
        }

        return int.TryParse(link.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var page) ? page : null;
    }

    /// <summary>Page-numbered listing: the token holds the next page number, bound to this listing like a keyset token.</summary>
    private sealed class UserListing(AuthAdminClient client, int pageSize, CancellationToken callToken) : CrmPageable<User>
    {
        private static readonly string Fingerprint = ContinuationTokens.Fingerprint("auth/v1/admin/users");

        public override IAsyncEnumerable<CrmPage<User>> AsPages(string? continuationToken = null) =>
            PagesAsync(continuationToken is null ? null : ContinuationTokens.Decode(continuationToken, Fingerprint));

        private async IAsyncEnumerable<CrmPage<User>> PagesAsync(PageCursor? cursor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken);
            var page = cursor is null ? 1 : int.TryParse(cursor.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : throw ContinuationTokens.Foreign();
            var total = cursor?.Total;
            while (true)
            {
                var (users, count, next) = await client.ListPageAsync(page, pageSize, linked.Token).ConfigureAwait(false);
                total ??= count;
                string? token = next is { } n ? ContinuationTokens.Encode(new PageCursor(Fingerprint, null, CrmErrors.Invariant(n), total)) : null;
                yield return new CrmPage<User> { Items = users, ContinuationToken = token, TotalCount = total };
                if (next is not { } following)
                {
                    yield break;
                }

                page = following;
            }
        }
    }
}
