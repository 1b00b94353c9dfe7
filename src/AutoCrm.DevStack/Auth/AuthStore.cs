using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace AutoCrm.DevStack.Auth;

/// <summary>
/// SQL over GoTrue's tables in schema <c>auth</c> (users, identities, sessions, refresh_tokens,
/// mfa_amr_claims), through the superuser data source. Every value is a parameter; every
/// timestamp comes from the injected <see cref="TimeProvider"/> so tests can drive the clock.
/// </summary>
internal sealed class AuthStore(DatabaseConnections connections)
{
    private const string UserColumns =
        "id, aud, role, email, encrypted_password, email_confirmed_at, invited_at, confirmation_sent_at, " +
        "recovery_sent_at, email_change, email_change_sent_at, last_sign_in_at, raw_app_meta_data::text, " +
        "raw_user_meta_data::text, created_at, updated_at, phone, phone_confirmed_at, phone_change, " +
        "phone_change_sent_at, confirmed_at, banned_until, deleted_at, reauthentication_sent_at, is_anonymous";

    private const string IdentityColumns =
        "id, provider_id, user_id, identity_data::text, provider, last_sign_in_at, created_at, updated_at, email";

    private const string RefreshTokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    internal ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) =>
        connections.Admin.OpenConnectionAsync(cancellationToken);

    /// <summary>A legacy (version 0) refresh token: 12 random characters of <c>[a-z0-9]</c> (docs/protocols.md#refresh-tokens).</summary>
    internal static string NewRefreshToken() => RandomNumberGenerator.GetString(RefreshTokenAlphabet, 12);

    // ---------------------------------------------------------------- users

    internal static async Task<AuthUser?> FindUserByIdAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken, bool forUpdate = false)
    {
        var sql = $"select {UserColumns} from auth.users where id = $1" + (forUpdate ? " for update" : string.Empty);
        var users = await ReadUsersAsync(connection, sql, cancellationToken, P(id));
        return users.Count == 0 ? null : await WithIdentitiesAsync(connection, users[0], cancellationToken);
    }

    /// <summary>GoTrue's <c>FindUserByEmailAndAudience</c>: case-insensitive, non-SSO users only.</summary>
    internal static async Task<AuthUser?> FindUserByEmailAsync(NpgsqlConnection connection, string email, string aud, CancellationToken cancellationToken)
    {
        var users = await ReadUsersAsync(
            connection,
            $"select {UserColumns} from auth.users where lower(email) = lower($1) and coalesce(aud, $2) = $2 and is_sso_user = false order by created_at limit 1",
            cancellationToken,
            P(email),
            P(aud));
        return users.Count == 0 ? null : await WithIdentitiesAsync(connection, users[0], cancellationToken);
    }

    /// <summary>True when another non-SSO user of the audience already has this email.</summary>
    internal static async Task<bool> EmailTakenAsync(NpgsqlConnection connection, string email, string aud, Guid? exceptUserId, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            "select exists (select 1 from auth.users where lower(email) = lower($1) and coalesce(aud, $2) = $2 and is_sso_user = false and ($3::uuid is null or id <> $3))",
            P(email),
            P(aud),
            P(exceptUserId));
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    internal static async Task InsertUserAsync(
        NpgsqlConnection connection,
        Guid id,
        string aud,
        string role,
        string email,
        string encryptedPassword,
        JsonObject appMetadata,
        JsonObject userMetadata,
        DateTime now,
        CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            """
            insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data,
                                    raw_user_meta_data, created_at, updated_at, is_sso_user, is_anonymous)
            values ('00000000-0000-0000-0000-000000000000', $1, $2, $3, $4, $5, $6, $7, $8, $8, false, false)
            """,
            P(id),
            P(aud),
            P(role),
            P(email),
            P(encryptedPassword),
            Json(appMetadata),
            Json(userMetadata),
            P(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Creates the <c>email</c> identity (<c>provider_id</c> = the user id).</summary>
    internal static async Task InsertEmailIdentityAsync(NpgsqlConnection connection, Guid userId, JsonObject identityData, DateTime now, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            """
            insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
            values (gen_random_uuid(), $1, $2, $3, 'email', $4, $4, $4)
            on conflict (provider_id, provider) do update set identity_data = excluded.identity_data, updated_at = excluded.updated_at
            """,
            P(userId.ToString()),
            P(userId),
            Json(identityData),
            P(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>GoTrue's <c>User.Confirm</c>: sets <c>email_confirmed_at</c> and <c>user_metadata.email_verified</c>.</summary>
    internal static Task ConfirmEmailAsync(NpgsqlConnection connection, Guid userId, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            """
            update auth.users
               set email_confirmed_at = $2, confirmation_token = '', updated_at = $2,
                   raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || '{"email_verified": true}'::jsonb
             where id = $1
            """,
            cancellationToken,
            P(userId),
            P(now));

    internal static Task SetConfirmationSentAsync(NpgsqlConnection connection, Guid userId, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set confirmation_sent_at = $2, updated_at = $2 where id = $1", cancellationToken, P(userId), P(now));

    internal static Task SetLastSignInAsync(NpgsqlConnection connection, Guid userId, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set last_sign_in_at = $2, updated_at = $2 where id = $1", cancellationToken, P(userId), P(now));

    internal static Task SetPasswordAsync(NpgsqlConnection connection, Guid userId, string encryptedPassword, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "update auth.users set encrypted_password = $2, confirmation_token = '', recovery_token = '', updated_at = $3 where id = $1",
            cancellationToken,
            P(userId),
            P(encryptedPassword),
            P(now));

    internal static Task SetUserMetadataAsync(NpgsqlConnection connection, Guid userId, JsonObject metadata, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set raw_user_meta_data = $2, updated_at = $3 where id = $1", cancellationToken, P(userId), Json(metadata), P(now));

    internal static Task SetAppMetadataAsync(NpgsqlConnection connection, Guid userId, JsonObject metadata, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set raw_app_meta_data = $2, updated_at = $3 where id = $1", cancellationToken, P(userId), Json(metadata), P(now));

    internal static Task SetRoleAsync(NpgsqlConnection connection, Guid userId, string role, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set role = $2, updated_at = $3 where id = $1", cancellationToken, P(userId), P(role), P(now));

    internal static Task SetBannedUntilAsync(NpgsqlConnection connection, Guid userId, DateTime? bannedUntil, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.users set banned_until = $2, updated_at = $3 where id = $1", cancellationToken, P(userId), P(bannedUntil), P(now));

    /// <summary>Changes the email at once and keeps the email identity in step.</summary>
    internal static async Task SetEmailAsync(NpgsqlConnection connection, Guid userId, string email, DateTime now, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            connection,
            "update auth.users set email = $2, email_change = '', email_change_sent_at = null, email_change_token_new = '', email_change_token_current = '', updated_at = $3 where id = $1",
            cancellationToken,
            P(userId),
            P(email),
            P(now));
        await ExecuteAsync(
            connection,
            "update auth.identities set identity_data = identity_data || jsonb_build_object('email', $2::text), updated_at = $3 where user_id = $1 and provider = 'email'",
            cancellationToken,
            P(userId),
            P(email),
            P(now));
    }

    /// <summary>Records a pending email change (confirmations enabled: the change waits for a confirmation link).</summary>
    internal static Task SetPendingEmailChangeAsync(NpgsqlConnection connection, Guid userId, string email, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "update auth.users set email_change = $2, email_change_sent_at = $3, email_change_token_new = $4, email_change_confirm_status = 0, updated_at = $3 where id = $1",
            cancellationToken,
            P(userId),
            P(email),
            P(now),
            P(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(28))));

    internal static Task DeleteUserAsync(NpgsqlConnection connection, Guid userId, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "delete from auth.users where id = $1", cancellationToken, P(userId));

    /// <summary>GoTrue's soft delete: the row stays (deleted_at) with its contact data and credentials removed.</summary>
    internal static async Task SoftDeleteUserAsync(NpgsqlConnection connection, Guid userId, DateTime now, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            connection,
            """
            update auth.users
               set deleted_at = $2, updated_at = $2, email = null, phone = null, encrypted_password = '',
                   confirmation_token = '', recovery_token = '', email_change = '', email_change_token_new = '',
                   email_change_token_current = '', phone_change = '', phone_change_token = '',
                   raw_user_meta_data = '{}'::jsonb
             where id = $1
            """,
            cancellationToken,
            P(userId),
            P(now));
        await ExecuteAsync(connection, "delete from auth.identities where user_id = $1", cancellationToken, P(userId));
        await ExecuteAsync(connection, "delete from auth.sessions where user_id = $1", cancellationToken, P(userId));
    }

    /// <summary>A page of users of the audience (GoTrue's <c>FindUsersInAudience</c>) and the total count.</summary>
    internal static async Task<(IReadOnlyList<AuthUser> Users, long Total)> ListUsersAsync(
        NpgsqlConnection connection,
        string aud,
        string? filter,
        bool ascending,
        long page,
        long perPage,
        CancellationToken cancellationToken)
    {
        const string Where = "coalesce(aud, $1) = $1 and ($2::text is null or email ilike $2 or raw_user_meta_data->>'full_name' ilike $2)";
        var pattern = string.IsNullOrEmpty(filter) ? null : "%" + filter + "%";
        await using var count = Command(connection, $"select count(*) from auth.users where {Where}", P(aud), P(pattern));
        var total = (long)(await count.ExecuteScalarAsync(cancellationToken) ?? 0L);
        var order = ascending ? "asc" : "desc";
        var users = await ReadUsersAsync(
            connection,
            $"select {UserColumns} from auth.users where {Where} order by created_at {order}, id {order} limit $3 offset $4",
            cancellationToken,
            P(aud),
            P(pattern),
            P(perPage),
            P(checked((page - 1) * perPage)));
        if (users.Count > 0)
        {
            var identities = await ReadIdentitiesAsync(connection, users.Select(u => u.Id).ToArray(), cancellationToken);
            foreach (var user in users)
            {
                user.Identities = identities.Where(i => i.UserId == user.Id).ToList();
            }
        }

        return (users, total);
    }

    // ---------------------------------------------------------------- sessions and refresh tokens

    /// <summary>
    /// GoTrue's <c>GrantAuthenticatedUser</c> + <c>AddClaimToSession</c>: a new session (aal1), its
    /// <c>amr</c> claim and a first refresh token (<c>parent</c> NULL). Returns the session id and token.
    /// </summary>
    internal static async Task<(Guid SessionId, string RefreshToken)> CreateSessionAsync(
        NpgsqlConnection connection,
        Guid userId,
        string authenticationMethod,
        DateTime now,
        string? userAgent,
        IPAddress? ip,
        CancellationToken cancellationToken)
    {
        var sessionId = Guid.CreateVersion7();
        await ExecuteAsync(
            connection,
            "insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip) values ($1, $2, $3, $3, 'aal1', $4, $5)",
            cancellationToken,
            P(sessionId),
            P(userId),
            P(now),
            P(userAgent),
            new NpgsqlParameter { Value = (object?)ip ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Inet });
        await ExecuteAsync(
            connection,
            """
            insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
            values (gen_random_uuid(), $1, $2, $2, $3)
            on conflict (session_id, authentication_method) do update set updated_at = excluded.updated_at
            """,
            cancellationToken,
            P(sessionId),
            P(now),
            P(authenticationMethod));
        var token = await InsertRefreshTokenAsync(connection, userId, sessionId, parent: null, now, cancellationToken);
        return (sessionId, token);
    }

    internal static async Task<string> InsertRefreshTokenAsync(NpgsqlConnection connection, Guid userId, Guid sessionId, string? parent, DateTime now, CancellationToken cancellationToken)
    {
        var token = NewRefreshToken();
        await ExecuteAsync(
            connection,
            """
            insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
            values ('00000000-0000-0000-0000-000000000000', $1, $2, false, $3, $3, $4, $5)
            """,
            cancellationToken,
            P(token),
            P(userId.ToString()),
            P(now),
            P(parent),
            P(sessionId));
        return token;
    }

    /// <summary>
    /// Locks the token row (<c>SELECT … FOR UPDATE</c>) so concurrent refreshes of one token serialise. The
    /// session row is locked first, in the same order as a logout (which deletes the session and, by cascade,
    /// its tokens), so a refresh racing a logout waits instead of deadlocking.
    /// </summary>
    internal static async Task<RefreshTokenRow?> LockRefreshTokenAsync(NpgsqlConnection connection, string token, CancellationToken cancellationToken)
    {
        await using (var session = Command(
            connection,
            "select 1 from auth.sessions where id = (select session_id from auth.refresh_tokens where token = $1) for update",
            P(token)))
        {
            await session.ExecuteScalarAsync(cancellationToken);
        }

        await using var command = Command(
            connection,
            "select id, token, user_id, revoked, updated_at, parent, session_id from auth.refresh_tokens where token = $1 for update",
            P(token));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new RefreshTokenRow(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            !reader.IsDBNull(3) && reader.GetBoolean(3),
            reader.IsDBNull(4) ? DateTime.MinValue : reader.GetDateTime(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetGuid(6));
    }

    /// <summary>The session row, or null when it is gone. Locks it when <paramref name="forUpdate"/>.</summary>
    internal static async Task<SessionRow?> FindSessionAsync(NpgsqlConnection connection, Guid sessionId, CancellationToken cancellationToken, bool forUpdate = false)
    {
        await using var command = Command(
            connection,
            "select id, user_id, not_after from auth.sessions where id = $1" + (forUpdate ? " for update" : string.Empty),
            P(sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new SessionRow(reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetDateTime(2));
    }

    /// <summary>GoTrue's <c>FindCurrentlyActiveRefreshToken</c>: the newest unrevoked token of the session.</summary>
    internal static async Task<(string Token, string? Parent)?> FindActiveRefreshTokenAsync(NpgsqlConnection connection, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            "select token, parent from auth.refresh_tokens where session_id = $1 and revoked is false order by id desc limit 1",
            P(sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    internal static Task RevokeRefreshTokenAsync(NpgsqlConnection connection, long id, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "update auth.refresh_tokens set revoked = true, updated_at = $2 where id = $1", cancellationToken, P(id), P(now));

    /// <summary>GoTrue's <c>RevokeTokenFamily</c>: every unrevoked token of the session.</summary>
    internal static Task RevokeSessionTokensAsync(NpgsqlConnection connection, Guid sessionId, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "update auth.refresh_tokens set revoked = true, updated_at = $2 where session_id = $1 and revoked = false",
            cancellationToken,
            P(sessionId),
            P(now));

    /// <summary>Ends a session at <paramref name="now"/> (its <c>not_after</c>): no token of it refreshes again.</summary>
    internal static Task EndSessionAsync(NpgsqlConnection connection, Guid sessionId, DateTime now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "update auth.sessions set not_after = least(coalesce(not_after, $2), $2), updated_at = $2 where id = $1",
            cancellationToken,
            P(sessionId),
            P(now));

    internal static Task DeleteRefreshTokenAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "delete from auth.refresh_tokens where id = $1", cancellationToken, P(id));

    internal static Task TouchSessionAsync(NpgsqlConnection connection, Guid sessionId, DateTime now, string? userAgent, IPAddress? ip, CancellationToken cancellationToken) =>
        ExecuteAsync(
            connection,
            "update auth.sessions set refreshed_at = ($2::timestamptz at time zone 'UTC'), updated_at = $2, user_agent = coalesce($3, user_agent), ip = coalesce($4, ip) where id = $1",
            cancellationToken,
            P(sessionId),
            P(now),
            P(userAgent),
            new NpgsqlParameter { Value = (object?)ip ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Inet });

    /// <summary>The session's <c>amr</c> entries, newest first (GoTrue's <c>CalculateAALAndAMR</c>).</summary>
    internal static async Task<IReadOnlyList<(string Method, long Timestamp)>> ReadAmrAsync(NpgsqlConnection connection, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            "select authentication_method, floor(extract(epoch from updated_at))::bigint from auth.mfa_amr_claims where session_id = $1 order by updated_at desc",
            P(sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<(string, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return list;
    }

    /// <summary>Logout scopes: every session of the user, only one, or all but one (refresh tokens go by cascade).</summary>
    internal static Task DeleteAllSessionsAsync(NpgsqlConnection connection, Guid userId, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "delete from auth.sessions where user_id = $1", cancellationToken, P(userId));

    internal static Task DeleteSessionAsync(NpgsqlConnection connection, Guid sessionId, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "delete from auth.sessions where id = $1", cancellationToken, P(sessionId));

    internal static Task DeleteOtherSessionsAsync(NpgsqlConnection connection, Guid userId, Guid keepSessionId, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, "delete from auth.sessions where user_id = $1 and id <> $2", cancellationToken, P(userId), P(keepSessionId));

    // ---------------------------------------------------------------- plumbing

    private static async Task<AuthUser> WithIdentitiesAsync(NpgsqlConnection connection, AuthUser user, CancellationToken cancellationToken)
    {
        user.Identities = await ReadIdentitiesAsync(connection, [user.Id], cancellationToken);
        return user;
    }

    private static async Task<List<AuthUser>> ReadUsersAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<AuthUser>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(new AuthUser
            {
                Id = reader.GetGuid(0),
                Aud = Str(reader, 1),
                Role = Str(reader, 2),
                Email = Str(reader, 3),
                EncryptedPassword = Str(reader, 4),
                EmailConfirmedAt = Time(reader, 5),
                InvitedAt = Time(reader, 6),
                ConfirmationSentAt = Time(reader, 7),
                RecoverySentAt = Time(reader, 8),
                EmailChange = Str(reader, 9),
                EmailChangeSentAt = Time(reader, 10),
                LastSignInAt = Time(reader, 11),
                AppMetadata = Obj(reader, 12),
                UserMetadata = Obj(reader, 13),
                CreatedAt = Time(reader, 14) ?? DateTime.UnixEpoch,
                UpdatedAt = Time(reader, 15) ?? DateTime.UnixEpoch,
                Phone = Str(reader, 16),
                PhoneConfirmedAt = Time(reader, 17),
                PhoneChange = Str(reader, 18),
                PhoneChangeSentAt = Time(reader, 19),
                ConfirmedAt = Time(reader, 20),
                BannedUntil = Time(reader, 21),
                DeletedAt = Time(reader, 22),
                ReauthenticationSentAt = Time(reader, 23),
                IsAnonymous = !reader.IsDBNull(24) && reader.GetBoolean(24),
            });
        }

        return users;
    }

    private static async Task<List<AuthIdentity>> ReadIdentitiesAsync(NpgsqlConnection connection, Guid[] userIds, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            $"select {IdentityColumns} from auth.identities where user_id = any($1) order by created_at, id",
            new NpgsqlParameter { Value = userIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var identities = new List<AuthIdentity>();
        while (await reader.ReadAsync(cancellationToken))
        {
            identities.Add(new AuthIdentity
            {
                Id = reader.GetGuid(0),
                ProviderId = reader.GetString(1),
                UserId = reader.GetGuid(2),
                IdentityData = Obj(reader, 3),
                Provider = reader.GetString(4),
                LastSignInAt = Time(reader, 5),
                CreatedAt = Time(reader, 6) ?? DateTime.UnixEpoch,
                UpdatedAt = Time(reader, 7) ?? DateTime.UnixEpoch,
                Email = Str(reader, 8),
            });
        }

        return identities;
    }

    private static string? Str(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTime? Time(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDateTime(ordinal);

    private static JsonObject Obj(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : JsonNode.Parse(reader.GetString(ordinal)) as JsonObject ?? [];

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter P<T>(T value) => new() { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Json(JsonObject value) => new() { Value = value.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Jsonb };
}

/// <summary>A locked row of <c>auth.refresh_tokens</c>.</summary>
internal sealed record RefreshTokenRow(long Id, string Token, string? UserId, bool Revoked, DateTime UpdatedAt, string? Parent, Guid? SessionId);

/// <summary>A row of <c>auth.sessions</c>.</summary>
internal sealed record SessionRow(Guid Id, Guid UserId, DateTime? NotAfter);
