using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Internal;

/// <summary>The row the SDK inserts for a new ticket (client-generated id, so a repeated insert is a no-op).</summary>
internal sealed record TicketInsertRow(
    Guid Id,
    string Subject,
    TicketPriority? Priority,
    Guid? QueueId,
    IReadOnlyList<string>? Tags,
    CrmMetadata? Metadata,
    Guid? RequesterId,
    TicketStatus? Status = null,
    Guid? AssigneeId = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>The row the SDK inserts for a message.</summary>
internal sealed record MessageInsertRow(
    Guid Id,
    Guid TicketId,
    MessageVisibility Visibility,
    string Body,
    CrmMetadata? Metadata);

internal sealed record QueueInsertRow(string Slug, string Name, string? Description);

internal sealed record QueueMemberRow(Guid QueueId, Guid AgentId);

internal sealed record PasswordCredentials(string Email, string Password);

internal sealed record SignUpRequest(string Email, string Password, CrmMetadata? Data);

internal sealed record RefreshTokenRequest(string RefreshToken);

internal sealed record AdminDeleteRequest(bool ShouldSoftDelete);

internal sealed record AdminUsersResponse(IReadOnlyList<User> Users);

/// <summary>The body of a webhook request, before its data is typed.</summary>
internal sealed record WebhookEnvelope(Guid Id, AutoCrm.Sdk.Webhooks.WebhookEventType Type, DateTimeOffset CreatedAt, System.Text.Json.JsonElement Data);

/// <summary>A row of the "due soonest" ticket listing: an SLA state's due time and key, with its ticket embedded.</summary>
internal sealed record SlaDueRow(DateTimeOffset DueAt, Guid TicketId, Ticket Ticket);
