using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Internal;

/// <summary>The SDK's one source-generated JSON context (snake_case, AOT-safe). Every public model is registered here.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(Ticket))]
[JsonSerializable(typeof(List<Ticket>))]
[JsonSerializable(typeof(TicketMessage))]
[JsonSerializable(typeof(List<TicketMessage>))]
[JsonSerializable(typeof(TicketEvent))]
[JsonSerializable(typeof(TicketEventKind))]
[JsonSerializable(typeof(TicketFieldChange))]
[JsonSerializable(typeof(CrmMetadata))]
[JsonSerializable(typeof(List<TicketEvent>))]
[JsonSerializable(typeof(NewTicket))]
[JsonSerializable(typeof(TicketPatch))]
[JsonSerializable(typeof(TicketQuery))]
[JsonSerializable(typeof(AutoCrm.Sdk.Search.TicketSearchHit))]
[JsonSerializable(typeof(List<AutoCrm.Sdk.Search.TicketSearchHit>))]
[JsonSerializable(typeof(AutoCrm.Sdk.Search.TicketSearchQuery))]
[JsonSerializable(typeof(AutoCrm.Sdk.Search.TicketSearchProblem))]
[JsonSerializable(typeof(AutoCrm.Sdk.Search.TicketSearchSnippetPart))]
[JsonSerializable(typeof(TicketStatus))]
[JsonSerializable(typeof(TicketPriority))]
[JsonSerializable(typeof(MessageVisibility))]
[JsonSerializable(typeof(Queue))]
[JsonSerializable(typeof(List<Queue>))]
[JsonSerializable(typeof(NewQueue))]
[JsonSerializable(typeof(QueueMember))]
[JsonSerializable(typeof(List<QueueMember>))]
[JsonSerializable(typeof(QueueStats))]
[JsonSerializable(typeof(List<QueueStats>))]
[JsonSerializable(typeof(TicketField))]
[JsonSerializable(typeof(List<TicketField>))]
[JsonSerializable(typeof(TicketFieldOption))]
[JsonSerializable(typeof(TicketFieldType))]
[JsonSerializable(typeof(NewTicketField))]
[JsonSerializable(typeof(TicketFieldPatch))]
[JsonSerializable(typeof(Profile))]
[JsonSerializable(typeof(List<Profile>))]
[JsonSerializable(typeof(UserRole))]
[JsonSerializable(typeof(TicketInclude))]
[JsonSerializable(typeof(TicketSort))]
[JsonSerializable(typeof(SignOutScope))]
[JsonSerializable(typeof(AuthChangeEvent))]
[JsonSerializable(typeof(AutoCrm.Sdk.Rest.RestCount))]
[JsonSerializable(typeof(AutoCrm.Sdk.Rest.TextSearchType))]
[JsonSerializable(typeof(Session))]
[JsonSerializable(typeof(User))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(AuthStateChange))]
[JsonSerializable(typeof(UserAttributes))]
[JsonSerializable(typeof(AdminUserAttributes))]
[JsonSerializable(typeof(CrmErrorInfo))]
[JsonSerializable(typeof(TicketInsertRow))]
[JsonSerializable(typeof(MessageInsertRow))]
[JsonSerializable(typeof(QueueInsertRow))]
[JsonSerializable(typeof(QueueMemberRow))]
[JsonSerializable(typeof(PasswordCredentials))]
[JsonSerializable(typeof(SignUpRequest))]
[JsonSerializable(typeof(RefreshTokenRequest))]
[JsonSerializable(typeof(AdminDeleteRequest))]
[JsonSerializable(typeof(AdminUsersResponse))]
[JsonSerializable(typeof(PageCursor))]
[JsonSerializable(typeof(AutoCrm.Sdk.Webhooks.WebhookEvent))]
[JsonSerializable(typeof(AutoCrm.Sdk.Webhooks.WebhookEventType))]
[JsonSerializable(typeof(WebhookEnvelope))]
[JsonSerializable(typeof(Dictionary<string, TicketFieldChange>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class CrmJsonContext : JsonSerializerContext;
