using Microsoft.Extensions.Logging;

namespace AutoCrm.DevStack.Realtime;

internal static partial class RealtimeLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Realtime socket closed: {Reason}")]
    public static partial void SocketClosed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Realtime socket failed")]
    public static partial void SocketFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Realtime client sent an invalid frame: {Detail}")]
    public static partial void InvalidFrame(ILogger logger, string detail);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Realtime socket send buffer overflowed ({Frames} frames); disconnecting the slow consumer")]
    public static partial void Overflow(ILogger logger, int frames);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Realtime replication started on slot {Slot}")]
    public static partial void ReplicationStarted(ILogger logger, string slot);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "Realtime replication stopped; retrying")]
    public static partial void ReplicationFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Realtime row-level-security check failed for role {Role} on {Table}")]
    public static partial void RlsCheckFailed(ILogger logger, string role, string table, Exception exception);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Error, Message = "Realtime change dispatch failed (attempt {Attempt} of {MaxAttempts})")]
    public static partial void DispatchFailed(ILogger logger, int attempt, int maxAttempts, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Realtime client sent an unexpected event `{Event}`; ignored")]
    public static partial void UnexpectedEvent(ILogger logger, string @event);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Realtime {Kind} payload of {Size} bytes exceeds the limit of {Limit} bytes")]
    public static partial void PayloadTooLarge(ILogger logger, string kind, int size, int limit);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Realtime client presence rate limit exceeded on {Topic}; shutting the channel down")]
    public static partial void PresenceRateLimited(ILogger logger, string topic);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Realtime client reached a limit: {Reason}")]
    public static partial void LimitReached(ILogger logger, string reason);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Realtime {Kind} policy of realtime.messages failed for topic {Topic}; treated as a refusal")]
    public static partial void PolicyFailed(ILogger logger, string kind, string topic, Exception exception);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Information, Message = "Realtime private channel {Topic}: {What} refused by the policies of realtime.messages")]
    public static partial void PolicyRefused(ILogger logger, string topic, string what);
}
