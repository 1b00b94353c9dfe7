using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.AI.Internal;

/// <summary>The triage worker's log lines (category <c>AutoCrm.Sdk.AI</c>). Never the ticket's text or the model's answer.</summary>
internal static partial class TriageLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Ticket triage worker started; new tickets are queued for triage.")]
    public static partial void Started(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Ticket {TicketId} triaged by {Model}: {Changed} field(s) changed.")]
    public static partial void Triaged(ILogger logger, Guid ticketId, string model, int changed);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Ticket {TicketId}: the lease ended before the triage was recorded; another worker will triage it.")]
    public static partial void LeaseLost(ILogger logger, Guid ticketId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Ticket {TicketId}: triage attempt {Attempt} failed ({Code}); {Next}.")]
    public static partial void Failed(ILogger logger, Guid ticketId, int attempt, string? code, string next, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Leasing triage jobs failed ({Code}); trying again after the poll interval.")]
    public static partial void LeaseFailed(ILogger logger, string? code, Exception exception);
}
