using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace AutoCrm.DevStack.Auth;

/// <summary>The admin user API (<c>/admin/users</c>), for a caller whose JWT role is <c>service_role</c>.</summary>
internal sealed partial class AuthService
{
    internal async Task AdminListUsersAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequireAdmin(context);
        var query = context.Request.Query;
        var page = ParsePageParameter(query["page"].ToString(), 1);
        var perPage = ParsePageParameter(query["per_page"].ToString(), 50);

        // As in GoTrue (pop's Paginate): a page below 1 is page 1, a page size below 1 is 20.
        page = Math.Max(page, 1);
        perPage = perPage < 1 ? 20 : Math.Min(perPage, 1_000_000);
        page = Math.Min(page, long.MaxValue / perPage);
        var ascending = query["sort"].ToString().Trim().Equals("created_at asc", StringComparison.OrdinalIgnoreCase);
        var filter = query["filter"].ToString();

        await using var connection = await store.OpenAsync(ct);
        var (users, total) = await AuthStore.ListUsersAsync(connection, Aud, filter, ascending, page, perPage, ct);
        AddPaginationHeaders(context, page, perPage, total);
        var list = new JsonArray();
        foreach (var user in users)
        {
            list.Add(user.ToJson());
        }

        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["users"] = list, ["aud"] = Aud });
    }

    private static long ParsePageParameter(string value, long fallback)
    {
        if (value.Length == 0)
        {
            return fallback;
        }

        if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, $"Bad Pagination Parameters: strconv.ParseUint: parsing \"{value}\": invalid syntax");
        }

        return parsed > long.MaxValue ? long.MaxValue : (long)parsed;
    }

    /// <summary>GoTrue's <c>addPaginationHeaders</c>: query keys sorted (so <c>page</c> precedes <c>per_page</c>), path as GoTrue sees it.</summary>
    private static void AddPaginationHeaders(HttpContext context, long page, long perPage, long total)
    {
        var lastPage = (long)Math.Ceiling(total / (double)perPage);
        var query = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in context.Request.Query)
        {
            query[key] = values.ToString();
        }

        query["per_page"] = perPage.ToString(CultureInfo.InvariantCulture);
        string Link(long target)
        {
            query["page"] = target.ToString(CultureInfo.InvariantCulture);
            return "</admin/users?" + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))) + ">";
        }

        var header = string.Empty;
        if (total > page * perPage)
        {
            header += Link(page + 1) + "; rel=\"next\", ";
        }

        header += Link(lastPage) + "; rel=\"last\"";
        context.Response.Headers["Link"] = header;
        context.Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
    }

    internal async Task AdminCreateUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequireAdmin(context);
        var body = await AuthRequestBody.ReadAsync(context.Request, "AdminUserParams", allowEmpty: false, ct);
        var p = AdminParams.Read(body);
        var aud = p.Aud.Length > 0 ? p.Aud : Aud;
        if (p.Email.Length == 0 && p.Phone.Length == 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Cannot create a user without either an email or phone");
        }

        if (p.Phone.Length > 0)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.PhoneProviderDisabled, "Phone logins are disabled");
        }

        var email = AuthValidation.Email(p.Email);
        await using var connection = await store.OpenAsync(ct);
        if (await AuthStore.EmailTakenAsync(connection, email, aud, null, ct))
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
        }

        if (p.Password is not null && p.PasswordHash.Length > 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Only a password or a password hash should be provided");
        }

        var userId = Guid.NewGuid();
        if (p.Id.Length > 0)
        {
            if (!AuthValidation.TryParseUuid(p.Id, out userId))
            {
                throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "ID must conform to the uuid v4 format");
            }

            if (userId == Guid.Empty)
            {
                throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "ID cannot be a nil UUID");
            }
        }

        var banDuration = ParseBanDuration(p.BanDuration);
        string hash;
        if (p.PasswordHash.Length > 0)
        {
            hash = AuthPasswords.IsBcryptHash(p.PasswordHash)
                ? p.PasswordHash
                : throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Invalid password hash format");
        }
        else if (!string.IsNullOrEmpty(p.Password))
        {
            AuthPasswords.CheckStrength(p.Password, settings.PasswordPolicy);
            hash = AuthPasswords.Hash(p.Password);
        }
        else
        {
            hash = AuthPasswords.Hash(AuthPasswords.Random());
        }

        var now = Now;
        AuthUser user;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            var appMetadata = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") };
            if (p.AppMetadata is not null)
            {
                appMetadata = AuthUser.Merge(appMetadata, p.AppMetadata);
            }

            var userMetadata = p.UserMetadata is null ? [] : AuthUser.Merge([], p.UserMetadata);
            try
            {
                await AuthStore.InsertUserAsync(connection, userId, aud, p.Role.Length > 0 ? p.Role : Aud, email, hash, appMetadata, userMetadata, now, ct);
            }
            catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
            {
                throw ex.ConstraintName == "users_pkey"
                    ? AuthApiException.Unprocessable(AuthErrorCodes.UserAlreadyExists, "User already registered")
                    : AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
            }

            await AuthStore.InsertEmailIdentityAsync(connection, userId, EmailIdentityData(userId, email, null), now, ct);
            if (p.EmailConfirm)
            {
                await AuthStore.ConfirmEmailAsync(connection, userId, now, ct);
            }

            if (banDuration is { } ban)
            {
                await AuthStore.SetBannedUntilAsync(connection, userId, ban.Until(now), now, ct);
            }

            user = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw UserNotFound();
            await transaction.CommitAsync(ct);
        }

        AuthLog.AdminCreatedUser(logger, user.Id);
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, user.ToJson());
    }

    internal async Task AdminGetUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequireAdmin(context);
        var userId = RouteUserId(context);
        await using var connection = await store.OpenAsync(ct);
        var user = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw UserNotFound();
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, user.ToJson());
    }

    internal async Task AdminUpdateUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequireAdmin(context);
        var userId = RouteUserId(context);
        await using var connection = await store.OpenAsync(ct);
        var user = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw UserNotFound();
        var body = await AuthRequestBody.ReadAsync(context.Request, "AdminUserParams", allowEmpty: false, ct);
        var p = AdminParams.Read(body);
        var banDuration = ParseBanDuration(p.BanDuration);
        if (p.Password is not null)
        {
            AuthPasswords.CheckStrength(p.Password, settings.PasswordPolicy);
        }

        if (p.PasswordHash.Length > 0 && !AuthPasswords.IsBcryptHash(p.PasswordHash))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Invalid password hash format");
        }

        var email = p.Email;
        if (email.Length > 0)
        {
            email = AuthValidation.Email(email);
            if (await AuthStore.EmailTakenAsync(connection, email, user.Aud ?? Aud, user.Id, ct))
            {
                throw AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
            }
        }

        if (p.Phone.Length > 0 && p.Phone != user.Phone)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.PhoneProviderDisabled, "Phone logins are disabled");
        }

        var newHash = p.PasswordHash.Length > 0 ? p.PasswordHash : p.Password is not null ? AuthPasswords.Hash(p.Password) : null;
        var now = Now;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            if (p.Role.Length > 0)
            {
                await AuthStore.SetRoleAsync(connection, userId, p.Role, now, ct);
            }

            if (p.EmailConfirm && !user.IsEmailConfirmed)
            {
                await AuthStore.ConfirmEmailAsync(connection, userId, now, ct);
            }

            if (newHash is not null)
            {
                await AuthStore.SetPasswordAsync(connection, userId, newHash, now, ct);
                await AuthStore.DeleteAllSessionsAsync(connection, userId, ct);
            }

            if (email.Length > 0 && email != user.Email)
            {
                try
                {
                    await AuthStore.SetEmailAsync(connection, userId, email, now, ct);
                }
                catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
                {
                    throw AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
                }
            }

            if (p.AppMetadata is not null)
            {
                await AuthStore.SetAppMetadataAsync(connection, userId, AuthUser.Merge(user.AppMetadata, p.AppMetadata), now, ct);
            }

            if (p.UserMetadata is not null)
            {
                await AuthStore.SetUserMetadataAsync(connection, userId, AuthUser.Merge(user.UserMetadata, p.UserMetadata), now, ct);
            }

            if (banDuration is { } ban)
            {
                await AuthStore.SetBannedUntilAsync(connection, userId, ban.Until(now), now, ct);
            }

            user = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw UserNotFound();
            await transaction.CommitAsync(ct);
        }

        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, user.ToJson());
    }

    internal async Task AdminDeleteUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        RequireAdmin(context);
        var userId = RouteUserId(context);
        await using var connection = await store.OpenAsync(ct);
        _ = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw UserNotFound();
        var body = await AuthRequestBody.ReadAsync(context.Request, "adminUserDeleteParams", allowEmpty: true, ct);
        var soft = body.GetBool("should_soft_delete");
        if (soft)
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await AuthStore.SoftDeleteUserAsync(connection, userId, Now, ct);
            await transaction.CommitAsync(ct);
        }
        else
        {
            await AuthStore.DeleteUserAsync(connection, userId, ct);
        }

        AuthLog.AdminDeletedUser(logger, userId, soft);
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject());
    }

    private static Guid RouteUserId(HttpContext context)
    {
        var raw = context.Request.RouteValues["user_id"] as string;
        return AuthValidation.TryParseUuid(raw, out var id)
            ? id
            : throw AuthApiException.NotFound(AuthErrorCodes.ValidationFailed, "user_id must be an UUID");
    }

    private static AuthApiException UserNotFound() => AuthApiException.NotFound(AuthErrorCodes.UserNotFound, "User not found");

    private static BanDuration? ParseBanDuration(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        if (value == "none")
        {
            return new BanDuration(null);
        }

        var duration = AuthValidation.ParseGoDuration(value, out var error);
        return duration is { } span
            ? new BanDuration(span)
            : throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "invalid format for ban duration: " + error);
    }

    /// <summary>A <c>ban_duration</c>: a span from now, or <c>none</c> (lift the ban).</summary>
    private readonly record struct BanDuration(TimeSpan? Span)
    {
        public DateTime? Until(DateTime now)
        {
            if (Span is not { } span)
            {
                return null;
            }

            var max = DateTime.MaxValue - now;
            return span >= max ? DateTime.SpecifyKind(new DateTime(9999, 12, 31), DateTimeKind.Utc) : now + span;
        }
    }

    /// <summary>GoTrue's <c>AdminUserParams</c>.</summary>
    private sealed record AdminParams(
        string Aud,
        string Role,
        string Email,
        string Phone,
        string? Password,
        string PasswordHash,
        bool EmailConfirm,
        bool PhoneConfirm,
        JsonObject? UserMetadata,
        JsonObject? AppMetadata,
        string BanDuration,
        string Id)
    {
        public static AdminParams Read(AuthRequestBody body) => new(
            body.GetString("aud"),
            body.GetString("role"),
            body.GetString("email"),
            body.GetString("phone"),
            body.GetOptionalString("password"),
            body.GetString("password_hash"),
            body.GetBool("email_confirm"),
            body.GetBool("phone_confirm"),
            body.GetObject("user_metadata"),
            body.GetObject("app_metadata"),
            body.GetString("ban_duration"),
            body.GetString("id"));
    }
}
