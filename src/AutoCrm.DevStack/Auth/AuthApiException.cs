namespace AutoCrm.DevStack.Auth;

/// <summary>
/// A GoTrue error: HTTP status, machine-readable <c>error_code</c> and message (docs/protocols.md#auth-conventions, docs/protocols.md#auth-errors).
/// Thrown by the Auth handlers and turned into either error format by <see cref="AuthResponses"/>.
/// </summary>
internal sealed class AuthApiException : Exception
{
    public AuthApiException()
        : this(StatusCodes.Status500InternalServerError, AuthErrorCodes.UnexpectedFailure, "Unexpected failure")
    {
    }

    public AuthApiException(string message)
        : this(StatusCodes.Status500InternalServerError, AuthErrorCodes.UnexpectedFailure, message)
    {
    }

    public AuthApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status500InternalServerError;
        ErrorCode = AuthErrorCodes.UnexpectedFailure;
    }

    public AuthApiException(int status, string errorCode, string message)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status of the response.</summary>
    public int Status { get; }

    /// <summary>GoTrue error code (<c>x-sb-error-code</c>).</summary>
    public string ErrorCode { get; }

    /// <summary>Reasons of a <c>weak_password</c> error (<c>length</c>, <c>characters</c>, <c>pwned</c>).</summary>
    public IReadOnlyList<string>? WeakPasswordReasons { get; init; }

    /// <summary>OAuth-style error (<c>{"error","error_description"}</c>, always 400, no error code header).</summary>
    public string? OAuthError { get; init; }

    public static AuthApiException BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);

    public static AuthApiException Unauthorized(string code, string message) => new(StatusCodes.Status401Unauthorized, code, message);

    public static AuthApiException Forbidden(string code, string message) => new(StatusCodes.Status403Forbidden, code, message);

    public static AuthApiException NotFound(string code, string message) => new(StatusCodes.Status404NotFound, code, message);

    public static AuthApiException Unprocessable(string code, string message) => new(StatusCodes.Status422UnprocessableEntity, code, message);

    public static AuthApiException BadJson(string detail) => BadRequest(AuthErrorCodes.BadJson, "Could not parse request body as JSON: " + detail);

    public static AuthApiException OAuth(string error, string description) =>
        new(StatusCodes.Status400BadRequest, error, description) { OAuthError = error };
}

/// <summary>The GoTrue error codes this subset emits (supabase/auth <c>apierrors/errorcode.go</c>).</summary>
internal static class AuthErrorCodes
{
    public const string UnexpectedFailure = "unexpected_failure";
    public const string ValidationFailed = "validation_failed";
    public const string BadJson = "bad_json";
    public const string EmailExists = "email_exists";
    public const string UserAlreadyExists = "user_already_exists";
    public const string InvalidCredentials = "invalid_credentials";
    public const string EmailNotConfirmed = "email_not_confirmed";
    public const string UserBanned = "user_banned";
    public const string UserNotFound = "user_not_found";
    public const string SessionNotFound = "session_not_found";
    public const string SessionExpired = "session_expired";
    public const string RefreshTokenNotFound = "refresh_token_not_found";
    public const string RefreshTokenAlreadyUsed = "refresh_token_already_used";
    public const string NoAuthorization = "no_authorization";
    public const string BadJwt = "bad_jwt";
    public const string NotAdmin = "not_admin";
    public const string WeakPassword = "weak_password";
    public const string SamePassword = "same_password";
    public const string SignupDisabled = "signup_disabled";
    public const string EmailProviderDisabled = "email_provider_disabled";
    public const string PhoneProviderDisabled = "phone_provider_disabled";
    public const string AnonymousProviderDisabled = "anonymous_provider_disabled";
    public const string OverRequestRateLimit = "over_request_rate_limit";
}
