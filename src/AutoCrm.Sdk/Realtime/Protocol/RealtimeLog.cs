using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>Source-generated log messages of the realtime client (event ids 6000–6099). Never logs tokens or payloads.</summary>
internal static partial class RealtimeLog
{
    [LoggerMessage(6000, LogLevel.Debug, "Realtime socket connecting to {Endpoint} (vsn {Vsn})")]
    public static partial void Connecting(ILogger logger, string endpoint, string vsn);

    [LoggerMessage(6001, LogLevel.Information, "Realtime socket connected")]
    public static partial void Connected(ILogger logger);

    [LoggerMessage(6002, LogLevel.Warning, "Realtime socket connection failed or dropped; reconnect attempt {Attempt} in {Delay}")]
    public static partial void ReconnectScheduled(ILogger logger, int attempt, TimeSpan delay, Exception? exception);

    [LoggerMessage(6003, LogLevel.Warning, "Realtime heartbeat {Ref} got no reply; closing the socket to reconnect")]
    public static partial void HeartbeatTimeout(ILogger logger, string @ref);

    [LoggerMessage(6004, LogLevel.Debug, "Realtime socket closed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(6005, LogLevel.Warning, "Realtime frame could not be decoded and was ignored")]
    public static partial void UndecodableFrame(ILogger logger, Exception exception);

    [LoggerMessage(6006, LogLevel.Debug, "Realtime channel {Topic} joining (join ref {JoinRef})")]
    public static partial void Joining(ILogger logger, string topic, string joinRef);

    [LoggerMessage(6007, LogLevel.Debug, "Realtime channel {Topic} joined")]
    public static partial void Joined(ILogger logger, string topic);

    [LoggerMessage(6008, LogLevel.Warning, "Realtime channel {Topic} join failed: {Reason}")]
    public static partial void JoinFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(6009, LogLevel.Warning, "Realtime channel {Topic} errored; rejoin in {Delay}")]
    public static partial void RejoinScheduled(ILogger logger, string topic, TimeSpan delay);

    [LoggerMessage(6010, LogLevel.Information, "Realtime channel {Topic} closed by the server")]
    public static partial void ChannelClosed(ILogger logger, string topic);

    [LoggerMessage(6011, LogLevel.Error, "A realtime subscriber callback threw; the message was dropped for it")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(6012, LogLevel.Warning, "Realtime send failed on topic {Topic}")]
    public static partial void SendFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6013, LogLevel.Information, "Realtime stream caught up {Count} missed events after a reconnect")]
    public static partial void CaughtUp(ILogger logger, int count);

    [LoggerMessage(6014, LogLevel.Warning, "Realtime catch-up read failed; retrying")]
    public static partial void CatchUpFailed(ILogger logger, Exception exception);

    [LoggerMessage(6015, LogLevel.Warning, "Realtime system message on {Topic}: {Message}")]
    public static partial void SystemError(ILogger logger, string topic, string? message);

    [LoggerMessage(6016, LogLevel.Warning, "Realtime channel {Topic} got no confirmation of its database subscription; going on without it")]
    public static partial void NoSubscriptionConfirmation(ILogger logger, string topic);
}
