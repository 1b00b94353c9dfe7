using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Internal;

/// <summary>Source-generated log messages. Never pass tokens, passwords, keys, bodies or query strings here.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Method} {Path} answered {Status} in {ElapsedMs} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int status, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Method} {Path} failed with {Status} {Code}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, int status, string? code);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Retrying {Method} {Path} (retry {Attempt}) in {DelayMs} ms after {Reason}")]
    public static partial void Retrying(ILogger logger, string method, string path, int attempt, double delayMs, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Signed in user {UserId}")]
    public static partial void SignedIn(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Signed out ({Scope})")]
    public static partial void SignedOut(ILogger logger, string scope);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Access token refreshed; it expires at {ExpiresAt:O}")]
    public static partial void TokenRefreshed(ILogger logger, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Access token refresh failed ({Code}); transient: {Transient}")]
    public static partial void RefreshFailed(ILogger logger, string? code, bool transient, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Next token refresh scheduled in {DueSeconds} s")]
    public static partial void RefreshScheduled(ILogger logger, double dueSeconds);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "The session store failed to {Operation}")]
    public static partial void SessionStoreFailed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Agent marked away after {IdleSeconds} s without activity")]
    public static partial void PresenceIdle(ILogger logger, double idleSeconds);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Presence could not change the agent's status ({Code}); trying again after the idle timeout")]
    public static partial void PresenceChangeFailed(ILogger logger, string? code, Exception exception);
}
