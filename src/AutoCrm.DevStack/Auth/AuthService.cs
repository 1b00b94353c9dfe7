using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Security;
using Npgsql;

namespace AutoCrm.DevStack.Auth;

/// <summary>
/// The email/password subset of Supabase Auth (GoTrue) over the <c>auth</c> schema: signup, password and
/// refresh-token grants, the user endpoints, logout, settings and the admin user API (docs/protocols.md#auth).
/// </summary>
internal sealed partial class AuthService(
    AuthStore store,
    AuthTokenIssuer issuer,
    JwtService jwt,
    DevStackSettings settings,
    AuthRateLimiter rateLimiter,
    TimeProvider timeProvider,
    ILogger<AuthService> logger)
{
    private const string Aud = AuthTokenIssuer.DefaultAudience;
    private const string InvalidLoginMessage = "Invalid login credentials";
    private const string DuplicateEmailMessage = "A user with this email address has already been registered";
    private const string AdminRole = "service_role";
    private const string UniqueViolation = "23505";

    private long _passwordChecks;

    private DateTime Now => timeProvider.GetUtcNow().UtcDateTime;

    /// <summary>
    /// How many bcrypt checks the password grant has made: one per attempt that reaches the user lookup, whether the
    /// email is registered or not (what the enumeration tests count, instead of timing responses).
    /// </summary>
    internal long PasswordChecks => Interlocked.Read(ref _passwordChecks);

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

        rateLimiter.Check(AuthLimit.Signups, context);

        if (!settings.EnableSignup)
        {
            throw AuthApiException.Unprocessable(AuthErrorCodes.SignupDisabled, "Signups not allowed for this instance");
        }

        if (password.Length == 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Signup requires a valid password");
        }

        AuthPasswords.CheckStrength(password, settings.PasswordPolicy);
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

    /// <summary><c>POST /token</c>: an unsupported grant is refused first, then every grant takes from the token limiter (GoTrue's order).</summary>
    internal Task TokenAsync(HttpContext context)
    {
        Func<HttpContext, Task> grant = context.Request.Query["grant_type"].ToString() switch
        {
            "password" => PasswordGrantAsync,
            "refresh_token" => RefreshTokenGrantAsync,
            _ => throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, "unsupported_grant_type"),
        };
        rateLimiter.Check(AuthLimit.Token, context);
        return grant(context);
    }

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
            // The same bcrypt work as a wrong password for a registered email: the timing tells nothing.
            Interlocked.Increment(ref _passwordChecks);
            AuthPasswords.VerifyUnknownUser(password);
            throw AuthApiException.BadRequest(AuthErrorCodes.InvalidCredentials, InvalidLoginMessage);
        }

        if (user.IsBanned(Now))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.UserBanned, "User is banned");
        }

        Interlocked.Increment(ref _passwordChecks);
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
        if (AuthPasswords.Evaluate(password, settings.PasswordPolicy) is { } weakness)
        {
            weak = new JsonObject { ["reasons"] = new JsonArray([.. weakness.Reasons.Select(r => (JsonNode?)r)]), ["message"] = weakness.Message };
        }

        await WriteSessionAsync(context, user, sessionId, refreshToken, [("password", ToUnix(now))], weak);
    }

    /// <summary>
    /// Refresh-token rotation with the reuse interval (docs/protocols.md#refresh-tokens), in one transaction that locks the
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
                    // GoTrue revokes the family and documents the session as terminated. Revoking alone would leave a
                    // hole: the family's newest token, revoked just now, is inside its own reuse interval and would
                    // refresh once more. Ending the session (not_after, which every refresh checks) closes it.
                    await AuthStore.RevokeSessionTokensAsync(connection, session.Id, now, ct);
                    await AuthStore.EndSessionAsync(connection, session.Id, now, ct);
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
        rateLimiter.Check(AuthLimit.User, context);
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
            AuthPasswords.CheckStrength(password, settings.PasswordPolicy);
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
}
