using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

/// <summary>
/// User management for back-office code (<c>/auth/v1/admin</c>). The client must be built with the service_role (or
/// <c>sb_secret_…</c>) key; these calls always authenticate with that key, never with a signed-in user's token.
/// </summary>
public sealed class AuthAdminClient
{
    private readonly CrmConnection _connection;

    internal AuthAdminClient(CrmConnection connection) => _connection = connection;

    /// <summary>Lists one page of users.</summary>
    /// <param name="page">The page number, from 1.</param>
    /// <param name="perPage">Users per page (default 50).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with the total and the next page number from <c>X-Total-Count</c> and <c>Link</c>.</returns>
    public async Task<UserList> ListUsersAsync(int page = 1, int perPage = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perPage, 1);
        using var activity = CrmTelemetry.StartCall("Auth.Admin.ListUsers");
        var query = string.Create(CultureInfo.InvariantCulture, $"admin/users?page={page}&per_page={perPage}");
        using var response = await AuthTransport.SendAsync(_connection, HttpMethod.Get, query, null, null, true, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var body = await JsonSerializer.DeserializeAsync(stream, CrmJsonContext.Default.AdminUsersResponse, cancellationToken).ConfigureAwait(false);
        long? total = response.Headers.TryGetValues("X-Total-Count", out var totals)
            && long.TryParse(totals.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        int? next = null, last = null;
        if (response.Headers.TryGetValues("Link", out var links))
        {
            foreach (var link in string.Join(',', links).Split(','))
            {
                var pageNumber = LinkPage(link);
                if (link.Contains("rel=\"next\"", StringComparison.Ordinal))
                {
                    next = pageNumber;
                }
                else if (link.Contains("rel=\"last\"", StringComparison.Ordinal))
                {
                    last = pageNumber;
                }
            }
        }

        return new UserList { Users = body?.Users ?? [], Total = total, NextPage = next, LastPage = last };
    }

    /// <summary>Lists every user, fetching page after page lazily.</summary>
    /// <param name="perPage">Users per request.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The users.</returns>
    public async IAsyncEnumerable<User> ListAllUsersAsync(int perPage = 50, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int? page = 1;
        while (page is { } current)
        {
            var list = await ListUsersAsync(current, perPage, cancellationToken).ConfigureAwait(false);
            foreach (var user in list.Users)
            {
                yield return user;
            }

            page = list.Users.Count == 0 ? null : list.NextPage;
        }
    }

    /// <summary>Reads one user.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user.</returns>
    /// <exception cref="CrmNotFoundException">There is no such user.</exception>
    public async Task<User> GetUserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.Admin.GetUser");
        return await AuthTransport.SendAsync(_connection, HttpMethod.Get, $"admin/users/{userId:D}", null, null, true, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a user (confirmed at once when <see cref="AdminUserAttributes.EmailConfirm"/> is set).</summary>
    /// <param name="attributes">The user.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new user.</returns>
    /// <exception cref="CrmConflictException">The e-mail address is taken (<c>email_exists</c>).</exception>
    public async Task<User> CreateUserAsync(AdminUserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var activity = CrmTelemetry.StartCall("Auth.Admin.CreateUser");
        var body = JsonSerializer.SerializeToUtf8Bytes(attributes, CrmJsonContext.Default.AdminUserAttributes);
        return await AuthTransport.SendAsync(_connection, HttpMethod.Post, "admin/users", body, null, false, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes a user.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="attributes">The fields to change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed user.</returns>
    public async Task<User> UpdateUserAsync(Guid userId, AdminUserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var activity = CrmTelemetry.StartCall("Auth.Admin.UpdateUser");
        var body = JsonSerializer.SerializeToUtf8Bytes(attributes, CrmJsonContext.Default.AdminUserAttributes);
        return await AuthTransport.SendAsync(_connection, HttpMethod.Put, $"admin/users/{userId:D}", body, null, true, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a user (and, through the database, their profile and tickets).</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="softDelete">Keep the row, marked deleted, instead of removing it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the user is gone.</returns>
    public async Task DeleteUserAsync(Guid userId, bool softDelete = false, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.Admin.DeleteUser");
        var body = JsonSerializer.SerializeToUtf8Bytes(new AdminDeleteRequest(softDelete), CrmJsonContext.Default.AdminDeleteRequest);
        using var response = await AuthTransport.SendAsync(_connection, HttpMethod.Delete, $"admin/users/{userId:D}", body, null, false, cancellationToken).ConfigureAwait(false);
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
}
