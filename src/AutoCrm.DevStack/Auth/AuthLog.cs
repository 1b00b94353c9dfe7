namespace AutoCrm.DevStack.Auth;

/// <summary>Auth log messages. Never logs passwords, tokens or request bodies.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "User {UserId} signed up")]
    internal static partial void UserSignedUp(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "User {UserId} signed in (session {SessionId})")]
    internal static partial void UserSignedIn(ILogger logger, Guid userId, Guid sessionId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Session {SessionId} refreshed")]
    internal static partial void SessionRefreshed(ILogger logger, Guid sessionId);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Refresh token {TokenId} of session {SessionId} reused outside the reuse interval; the session's tokens were revoked")]
    internal static partial void RefreshTokenReused(ILogger logger, long tokenId, Guid sessionId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "User {UserId} logged out (scope {Scope})")]
    internal static partial void LoggedOut(ILogger logger, Guid userId, string scope);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Admin created user {UserId}")]
    internal static partial void AdminCreatedUser(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Admin deleted user {UserId} (soft: {Soft})")]
    internal static partial void AdminDeletedUser(ILogger logger, Guid userId, bool soft);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Auth request refused: {Status} {ErrorCode}")]
    internal static partial void RequestRefused(ILogger logger, int status, string errorCode);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    internal static partial void UnexpectedFailure(ILogger logger, Exception exception, string method, string path);
}
