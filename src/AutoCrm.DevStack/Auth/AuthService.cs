using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCrm.DevStack.Security;
using Npgsql;

namespace AutoCrm.DevStack.Auth;

/// <summary>
/// The email/password subset of Supabase Auth (GoTrue) over the <c>auth</c> schema: signup, password and
/// refresh-token grants, the user endpoints, logout, settings and the admin user API (PROTOCOLS §3).
/// </summary>
internal sealed partial class AuthService(
    AuthStore store,
    AuthTokenIssuer issuer,
    JwtService jwt,
    DevStackSettings settings,
    TimeProvider timeProvider,
    ILogger<AuthService> logger)
{
    private const string Aud = AuthTokenIssuer.DefaultAudience;
    private const string InvalidLoginMessage = "Invalid login credentials";
    private const string DuplicateEmailMessage = "A user with this email address has already been registered";
    private const string AdminRole = "service_role";
    private const string UniqueViolation = "23505";

    private DateTime Now => timeProvider.GetUtcNow().UtcDateTime;

    /// <summary>Local default: <c>enable_confirmations = false</c> means GoTrue's mailer autoconfirm.</summary>
    private bool Autoconfirm => !settings.EnableConfirmations;

    // ------------------------------------------------------------------ public endpoints

    internal static Task HealthAsync(HttpContext context) =>
        AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["version"] = "v2.186.0",
            ["name"] = "GoTrue",
            ["description"] = "GoTrue is a user registration and authentication API",
        });

    internal static Task JwksAsync(HttpContext context) =>
        AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["keys"] = new JsonArray() });

    internal Task SettingsAsync(HttpContext context) =>
        AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject
        {
            ["external"] = new JsonObject
            {
                ["anonymous_users"] = false,
                ["apple"] = false,
                ["azure"] = false,
                ["bitbucket"] = false,
                ["discord"] = false,
                ["facebook"] = false,
                ["figma"] = false,
                ["fly"] = false,
                ["github"] = false,
                ["gitlab"] = false,
                ["google"] = false,
                ["keycloak"] = false,
                ["kakao"] = false,
                ["linkedin_oidc"] = false,
                ["notion"] = false,
                ["spotify"] = false,
                ["slack"] = false,
                ["slack_oidc"] = false,
                ["workos"] = false,
                ["twitch"] = false,
                ["twitter"] = false,
                ["email"] = true,
                ["phone"] = false,
                ["zoom"] = false,
            },
            ["disable_signup"] = !settings.EnableSignup,
            ["mailer_autoconfirm"] = Autoconfirm,
            ["phone_autoconfirm"] = false,
            ["sms_provider"] = string.Empty,
            ["saml_enabled"] = false,
            ["passkeys_enabled"] = false,
        });

    // ------------------------------------------------------------------ signup

    internal async Task SignupAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = await AuthRequestBody.ReadAsync(context.Request, "SignupParams", allowEmpty: false, ct);
        var email = body.GetString("email");
        var phone = body.GetString("phone");
        var password = body.GetString("password");
        var data = body.GetObject("data") ?? [];
        _ = body.GetString("channel");
        _ = body.GetString("code_challenge");
        _ = body.GetString("code_challenge_method");

        if (email.Length == 0 && phone.Length == 0)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.AnonymousProviderDisabled, "Anonymous sign-ins are disabled");
        }

        if (!settings.EnableSignup)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.SignupDisabled, "Signups not allowed for this instance");
        }

        if (password.Length == 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Signup requires a valid password");
        }

        AuthPasswords.CheckStrength(password, settings.MinimumPasswordLength);
        if (email.Length > 0 && phone.Length > 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Only an email address or phone number should be provided on signup.");
        }

        if (email.Length == 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.PhoneProviderDisabled, "Phone signups are disabled");
        }

        email = AuthValidation.Email(email);

        await using var connection = await store.OpenAsync(ct);
        var existing = await AuthStore.FindUserByEmailAsync(connection, email, Aud, ct);
        if (existing is { IsEmailConfirmed: true })
        {
            if (Autoconfirm)
            {
                throw AuthApiException.Unprocessable(AuthErrorCodes.UserAlreadyExists, "User already registered");
            }

            // Without autoconfirm GoTrue answers with a fake user so emails cannot be enumerated.
            await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, ObfuscatedUser(email, data));
            return;
        }

        // Hash outside the transaction: bcrypt is deliberately slow.
        var hash = existing is null ? AuthPasswords.Hash(password) : null;
        var now = Now;
        Guid? sessionId = null;
        string? refreshToken = null;
        AuthUser user;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            var userId = existing?.Id ?? Guid.NewGuid();
            if (existing is null)
            {
                var appMetadata = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") };
                try
                {
                    await AuthStore.InsertUserAsync(connection, userId, Aud, Aud, email, hash!, appMetadata, data, now, ct);
                }
                catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
                {
                    throw AuthApiException.Unprocessable(AuthErrorCodes.UserAlreadyExists, "User already registered");
                }

                await AuthStore.InsertEmailIdentityAsync(connection, userId, EmailIdentityData(userId, email, data), now, ct);
            }

            if (Autoconfirm)
            {
                await AuthStore.ConfirmEmailAsync(connection, userId, now, ct);
                (sessionId, refreshToken) = await AuthStore.CreateSessionAsync(connection, userId, "password", now, UserAgent(context), ClientIp(context), ct);
                await AuthStore.SetLastSignInAsync(connection, userId, now, ct);
            }
            else
            {
                await AuthStore.SetConfirmationSentAsync(connection, userId, now, ct);
            }

            user = await AuthStore.FindUserByIdAsync(connection, userId, ct)
                ?? throw new InvalidOperationException("The new user disappeared inside its own transaction.");
            await transaction.CommitAsync(ct);
        }

        AuthLog.UserSignedUp(logger, user.Id);
        if (sessionId is { } session && refreshToken is not null)
        {
            await WriteSessionAsync(context, user, session, refreshToken, [("password", ToUnix(now))], weakPassword: null);
            return;
        }

        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, user.ToJson());
    }

    private JsonObject ObfuscatedUser(string email, JsonObject data)
    {
        var now = AuthResponses.FormatTime(Now);
        return new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["aud"] = Aud,
            ["role"] = string.Empty,
            ["email"] = email,
            ["phone"] = string.Empty,
            ["confirmation_sent_at"] = now,
            ["app_metadata"] = new JsonObject { ["provider"] = "email", ["providers"] = new JsonArray("email") },
            ["user_metadata"] = data,
            ["identities"] = new JsonArray(),
            ["created_at"] = now,
            ["updated_at"] = now,
            ["is_anonymous"] = false,
        };
    }

    private static JsonObject EmailIdentityData(Guid userId, string email, JsonObject? extra)
    {
        var identity = new JsonObject
        {
            ["sub"] = userId.ToString(),
            ["email"] = email,
            ["email_verified"] = false,
            ["phone_verified"] = false,
        };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                if (!identity.ContainsKey(key))
                {
                    identity[key] = value?.DeepClone();
                }
            }
        }

        return identity;
    }

    // ------------------------------------------------------------------ token

    internal Task TokenAsync(HttpContext context) =>
        context.Request.Query["grant_type"].ToString() switch
        {
            "password" => PasswordGrantAsync(context),
            "refresh_token" => RefreshTokenGrantAsync(context),
            _ => throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, "unsupported_grant_type"),
        };

    private async Task PasswordGrantAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = await AuthRequestBody.ReadAsync(context.Request, "PasswordGrantParams", allowEmpty: false, ct);
        var email = body.GetString("email");
        var phone = body.GetString("phone");
        var password = body.GetString("password");
        if (email.Length > 0 && phone.Length > 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Only an email address or phone number should be provided on login.");
        }

        if (email.Length == 0)
        {
            throw phone.Length > 0
                ? AuthApiException.Unprocessable(AuthErrorCodes.PhoneProviderDisabled, "Phone logins are disabled")
                : AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "missing email or phone");
        }

        await using var connection = await store.OpenAsync(ct);
        var user = await AuthStore.FindUserByEmailAsync(connection, email, Aud, ct);
        if (user is null || !user.HasPassword)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, InvalidLoginMessage);
        }

        if (user.IsBanned(Now))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.UserBanned, "User is banned");
        }

        if (!AuthPasswords.Verify(password, user.EncryptedPassword))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, InvalidLoginMessage);
        }

        if (!user.IsEmailConfirmed)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.EmailNotConfirmed, "Email not confirmed");
        }

        var now = Now;
        Guid sessionId;
        string refreshToken;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            (sessionId, refreshToken) = await AuthStore.CreateSessionAsync(connection, user.Id, "password", now, UserAgent(context), ClientIp(context), ct);
            await AuthStore.SetLastSignInAsync(connection, user.Id, now, ct);
            user = await AuthStore.FindUserByIdAsync(connection, user.Id, ct) ?? throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, InvalidLoginMessage);
            await transaction.CommitAsync(ct);
        }

        AuthLog.UserSignedIn(logger, user.Id, sessionId);
        JsonObject? weak = null;
        if (AuthPasswords.WeakReasons(password, settings.MinimumPasswordLength) is { } reasons)
        {
            weak = new JsonObject { ["reasons"] = new JsonArray([.. reasons.Select(r => (JsonNode?)r)]), ["message"] = AuthPasswords.LengthMessage(settings.MinimumPasswordLength) };
        }

        await WriteSessionAsync(context, user, sessionId, refreshToken, [("password", ToUnix(now))], weak);
    }

    /// <summary>
    /// Refresh-token rotation with the reuse interval (PROTOCOLS §3.5), in one transaction that locks the
    /// presented token's row, so concurrent refreshes of the same token serialise instead of racing.
    /// </summary>
    private async Task RefreshTokenGrantAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = await AuthRequestBody.ReadAsync(context.Request, "RefreshTokenGrantParams", allowEmpty: false, ct);
        var presented = body.GetString("refresh_token");
        if (presented.Length == 0)
        {
            throw AuthApiException.OAuth("invalid_request", "refresh_token required");
        }

        await using var connection = await store.OpenAsync(ct);
        var transaction = await connection.BeginTransactionAsync(ct);
        AuthUser user;
        Guid sessionId;
        string issued;
        IReadOnlyList<(string, long)> amr;
        await using (transaction)
        {
            var now = Now;
            var token = await AuthStore.LockRefreshTokenAsync(connection, presented, ct);
            var notFound = AuthApiException.BadRequest(AuthErrorCodes.RefreshTokenNotFound, "Invalid Refresh Token: Refresh Token Not Found");
            if (token is null || !AuthValidation.TryParseUuid(token.UserId, out var userId))
            {
                throw notFound;
            }

            user = await AuthStore.FindUserByIdAsync(connection, userId, ct) ?? throw notFound;
            if (user.IsBanned(now))
            {
                throw AuthApiException.BadRequest(AuthErrorCodes.UserBanned, "Invalid Refresh Token: User Banned");
            }

            var session = token.SessionId is { } sid ? await AuthStore.FindSessionAsync(connection, sid, ct) : null;
            if (session is null)
            {
                await AuthStore.DeleteRefreshTokenAsync(connection, token.Id, ct);
                await transaction.CommitAsync(ct);
                throw AuthApiException.BadRequest(AuthErrorCodes.SessionNotFound, "Invalid Refresh Token: No Valid Session Found");
            }

            if (session.NotAfter is { } notAfter && now >= notAfter)
            {
                throw AuthApiException.BadRequest(AuthErrorCodes.SessionExpired, "Invalid Refresh Token: Session Expired");
            }

            string? reissued = null;
            if (token.Revoked)
            {
                var active = await AuthStore.FindActiveRefreshTokenAsync(connection, session.Id, ct);
                if (active is { } current && current.Parent == token.Token)
                {
                    // The client lost the response of its previous refresh: hand back the same child.
                    reissued = current.Token;
                }
                else if (settings.EnableRefreshTokenRotation
                    && now > token.UpdatedAt.AddSeconds(settings.RefreshTokenReuseIntervalSeconds))
                {
                    await AuthStore.RevokeSessionTokensAsync(connection, session.Id, now, ct);
                    await transaction.CommitAsync(ct);
                    AuthLog.RefreshTokenReused(logger, token.Id, session.Id);
                    throw AuthApiException.BadRequest(AuthErrorCodes.RefreshTokenAlreadyUsed, "Invalid Refresh Token: Already Used");
                }
            }

            if (reissued is null)
            {
                await AuthStore.RevokeRefreshTokenAsync(connection, token.Id, now, ct);
                reissued = await AuthStore.InsertRefreshTokenAsync(connection, user.Id, session.Id, token.Token, now, ct);
            }

            amr = await AuthStore.ReadAmrAsync(connection, session.Id, ct);
            await AuthStore.TouchSessionAsync(connection, session.Id, now, UserAgent(context), ClientIp(context), ct);
            await transaction.CommitAsync(ct);
            sessionId = session.Id;
            issued = reissued;
        }

        AuthLog.SessionRefreshed(logger, sessionId);
        await WriteSessionAsync(context, user, sessionId, issued, amr, weakPassword: null);
    }

    private async Task WriteSessionAsync(HttpContext context, AuthUser user, Guid sessionId, string refreshToken, IReadOnlyList<(string, long)> amr, JsonObject? weakPassword)
    {
        var (accessToken, expiresAt) = issuer.IssueAccessToken(user, sessionId, amr);
        context.Response.Headers["sb-auth-user-id"] = user.Id.ToString();
        context.Response.Headers["sb-auth-session-id"] = sessionId.ToString();
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, issuer.SessionResponse(accessToken, expiresAt, refreshToken, user, weakPassword));
    }

    // ------------------------------------------------------------------ user

    internal async Task GetUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        await using var connection = await store.OpenAsync(ct);
        var principal = await AuthenticateAsync(context, connection, ct);
        SetUserHeaders(context, principal);
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, principal.User.ToJson());
    }

    internal async Task UpdateUserAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        await using var connection = await store.OpenAsync(ct);
        var principal = await AuthenticateAsync(context, connection, ct);
        var body = await AuthRequestBody.ReadAsync(context.Request, "UserUpdateParams", allowEmpty: false, ct);
        var email = body.GetString("email");
        var password = body.GetOptionalString("password");
        var data = body.GetObject("data");
        var appMetadata = body.GetObject("app_metadata");
        var phone = body.GetString("phone");
        _ = body.GetString("nonce");
        _ = body.GetString("channel");
        _ = body.GetString("code_challenge");
        _ = body.GetString("code_challenge_method");
        _ = body.GetOptionalString("current_password");

        if (email.Length > 0)
        {
            email = AuthValidation.Email(email);
        }

        if (password is not null)
        {
            AuthPasswords.CheckStrength(password, settings.MinimumPasswordLength);
        }

        if (appMetadata is not null && principal.Role != AdminRole)
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.NotAdmin, "Updating app_metadata requires admin privileges");
        }

        var user = principal.User;
        if (phone.Length > 0 && phone != user.Phone)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.PhoneProviderDisabled, "Phone logins are disabled");
        }

        var changesEmail = email.Length > 0 && !string.Equals(email, user.Email, StringComparison.Ordinal);
        if (changesEmail && await AuthStore.EmailTakenAsync(connection, email, Aud, user.Id, ct))
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
        }

        string? newHash = null;
        if (password is not null)
        {
            if (user.HasPassword && AuthPasswords.Verify(password, user.EncryptedPassword))
            {
                throw AuthApiException.Unprocessable(AuthErrorCodes.SamePassword, "New password should be different from the old password.");
            }

            newHash = AuthPasswords.Hash(password);
        }

        var now = Now;
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            if (newHash is not null)
            {
                await AuthStore.SetPasswordAsync(connection, user.Id, newHash, now, ct);

                // A new password signs the user out everywhere else (GoTrue's UpdatePassword).
                if (principal.SessionId is { } keep)
                {
                    await AuthStore.DeleteOtherSessionsAsync(connection, user.Id, keep, ct);
                }
                else
                {
                    await AuthStore.DeleteAllSessionsAsync(connection, user.Id, ct);
                }
            }

            if (data is not null)
            {
                await AuthStore.SetUserMetadataAsync(connection, user.Id, AuthUser.Merge(user.UserMetadata, data), now, ct);
            }

            if (appMetadata is not null)
            {
                await AuthStore.SetAppMetadataAsync(connection, user.Id, AuthUser.Merge(user.AppMetadata, appMetadata), now, ct);
            }

            if (changesEmail)
            {
                try
                {
                    if (Autoconfirm)
                    {
                        await AuthStore.SetEmailAsync(connection, user.Id, email, now, ct);
                    }
                    else
                    {
                        await AuthStore.SetPendingEmailChangeAsync(connection, user.Id, email, now, ct);
                    }
                }
                catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
                {
                    throw AuthApiException.Unprocessable(AuthErrorCodes.EmailExists, DuplicateEmailMessage);
                }
            }

            user = await AuthStore.FindUserByIdAsync(connection, user.Id, ct) ?? throw UserFromSubMissing();
            await transaction.CommitAsync(ct);
        }

        SetUserHeaders(context, principal);
        await AuthResponses.WriteJsonAsync(context, StatusCodes.Status200OK, user.ToJson());
    }

    private static void SetUserHeaders(HttpContext context, AuthPrincipal principal)
    {
        context.Response.Headers["sb-auth-user-id"] = principal.User.Id.ToString();
        if (principal.SessionId is { } sessionId)
        {
            context.Response.Headers["sb-auth-session-id"] = sessionId.ToString();
        }
    }

    // ------------------------------------------------------------------ logout

    internal async Task LogoutAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        await using var connection = await store.OpenAsync(ct);
        var principal = await AuthenticateAsync(context, connection, ct);
        var scope = context.Request.Query["scope"].ToString();
        if (scope is not ("" or "global" or "local" or "others"))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, $"Unsupported logout scope {JsonSerializer.Serialize(scope, AuthJsonContext.Default.String)}");
        }

        if (principal.SessionId is { } sessionId)
        {
            switch (scope)
            {
                case "local":
                    await AuthStore.DeleteSessionAsync(connection, sessionId, ct);
                    break;
                case "others":
                    await AuthStore.DeleteOtherSessionsAsync(connection, principal.User.Id, sessionId, ct);
                    break;
                default:
                    await AuthStore.DeleteAllSessionsAsync(connection, principal.User.Id, ct);
                    break;
            }
        }
        else if (scope is "" or "global")
        {
            await AuthStore.DeleteAllSessionsAsync(connection, principal.User.Id, ct);
        }

        AuthLog.LoggedOut(logger, principal.User.Id, scope.Length == 0 ? "global" : scope);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    // ------------------------------------------------------------------ admin

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

        if (!ulong.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
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

        query["per_page"] = perPage.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Link(long target)
        {
            query["page"] = target.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return "</admin/users?" + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))) + ">";
        }

        var header = string.Empty;
        if (total > page * perPage)
        {
            header += Link(page + 1) + "; rel=\"next\", ";
        }

        header += Link(lastPage) + "; rel=\"last\"";
        context.Response.Headers["Link"] = header;
        context.Response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
            AuthPasswords.CheckStrength(p.Password, settings.MinimumPasswordLength);
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
            AuthPasswords.CheckStrength(p.Password, settings.MinimumPasswordLength);
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

    // ------------------------------------------------------------------ authentication

    /// <summary>The caller of an authenticated endpoint: the user row, the session from the JWT, its role.</summary>
    private sealed record AuthPrincipal(AuthUser User, Guid? SessionId, string? Role);

    /// <summary>GoTrue's <c>requireAuthentication</c> + <c>maybeLoadUserOrSession</c>.</summary>
    private async Task<AuthPrincipal> AuthenticateAsync(HttpContext context, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var claims = ParseJwt(context);
        var sub = claims["sub"] is JsonValue subValue && subValue.GetValueKind() == JsonValueKind.String ? subValue.GetValue<string>() : null;
        if (string.IsNullOrEmpty(sub))
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid claim: missing sub claim");
        }

        if (!AuthValidation.TryParseUuid(sub, out var userId))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.BadJwt, "invalid claim: sub claim must be a UUID");
        }

        var user = await AuthStore.FindUserByIdAsync(connection, userId, cancellationToken) ?? throw UserFromSubMissing();
        if (user.IsBanned(Now))
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.UserBanned, "User is banned");
        }

        Guid? sessionId = null;
        var sessionClaim = claims["session_id"] is JsonValue sessionValue && sessionValue.GetValueKind() == JsonValueKind.String ? sessionValue.GetValue<string>() : null;
        if (!string.IsNullOrEmpty(sessionClaim) && sessionClaim != Guid.Empty.ToString())
        {
            if (!AuthValidation.TryParseUuid(sessionClaim, out var parsed))
            {
                throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid claim: session_id claim must be a UUID");
            }

            var session = await AuthStore.FindSessionAsync(connection, parsed, cancellationToken);
            if (session is null || session.UserId != user.Id)
            {
                throw AuthApiException.Forbidden(AuthErrorCodes.SessionNotFound, "Session from session_id claim in JWT does not exist");
            }

            sessionId = parsed;
        }

        return new AuthPrincipal(user, sessionId, StringClaim(claims, "role"));
    }

    private static AuthApiException UserFromSubMissing() =>
        AuthApiException.Forbidden(AuthErrorCodes.UserNotFound, "User from sub claim in JWT does not exist");

    /// <summary>GoTrue's <c>requireAdminCredentials</c>: a bearer JWT whose role is an admin role.</summary>
    private void RequireAdmin(HttpContext context)
    {
        var claims = ParseJwt(context);
        if (StringClaim(claims, "role") != AdminRole)
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.NotAdmin, "User not allowed");
        }
    }

    /// <summary>Extracts and verifies the bearer JWT (401 without one, 403 <c>bad_jwt</c> when it does not verify or has expired).</summary>
    private JsonObject ParseJwt(HttpContext context)
    {
        var match = BearerPattern().Match(context.Request.Headers.Authorization.ToString());
        if (!match.Success)
        {
            throw AuthApiException.Unauthorized(AuthErrorCodes.NoAuthorization, "This endpoint requires a valid Bearer token");
        }

        var result = jwt.Validate(match.Groups[1].Value);
        const string Prefix = "invalid JWT: unable to parse or verify signature, ";
        if (!result.IsValid)
        {
            var reason = result.Failure switch
            {
                JwtFailure.Expired => "token has invalid claims: token is expired",
                JwtFailure.NotYetValid => "token has invalid claims: token is not valid yet",
                JwtFailure.BadSignature => "token signature is invalid: signature is invalid",
                _ => "token is malformed: " + (result.Message ?? "could not parse the token"),
            };
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, Prefix + reason);
        }

        // GoTrue allows no clock skew on exp (PostgREST's 30 s leeway does not apply here).
        if (result.Exp is { } exp && exp <= timeProvider.GetUtcNow().ToUnixTimeSeconds())
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, Prefix + "token has invalid claims: token is expired");
        }

        return result.Claims ?? throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid token: missing claims");
    }

    private static string? StringClaim(JsonObject claims, string name) =>
        claims[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static long ToUnix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();

    private static string? UserAgent(HttpContext context)
    {
        var value = context.Request.Headers.UserAgent.ToString();
        return value.Length == 0 ? null : value;
    }

    private static IPAddress? ClientIp(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        return ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip;
    }

    [GeneratedRegex(@"^(?:B|b)earer (\S+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex BearerPattern();
}
