using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace AutoCrm.Sdk.Bench;

// The shape the community C# clients use: Newtonsoft with attribute-mapped POCOs and JObject for JSONB.
#pragma warning disable CA1812, CA1852
internal sealed class NsTicket
{
    [JsonProperty("id")] public Guid Id { get; set; }
    [JsonProperty("number")] public long Number { get; set; }
    [JsonProperty("subject")] public string Subject { get; set; } = "";
    [JsonProperty("status")] public string Status { get; set; } = "";
    [JsonProperty("priority")] public string Priority { get; set; } = "";
    [JsonProperty("requester_id")] public Guid RequesterId { get; set; }
    [JsonProperty("assignee_id")] public Guid? AssigneeId { get; set; }
    [JsonProperty("queue_id")] public Guid? QueueId { get; set; }
    [JsonProperty("tags")] public List<string> Tags { get; set; } = [];
    [JsonProperty("metadata")] public JObject Metadata { get; set; } = [];
    [JsonProperty("version")] public int Version { get; set; }
    [JsonProperty("created_at")] public DateTimeOffset CreatedAt { get; set; }
    [JsonProperty("updated_at")] public DateTimeOffset UpdatedAt { get; set; }
    [JsonProperty("first_response_at")] public DateTimeOffset? FirstResponseAt { get; set; }
    [JsonProperty("solved_at")] public DateTimeOffset? SolvedAt { get; set; }
    [JsonProperty("closed_at")] public DateTimeOffset? ClosedAt { get; set; }
    [JsonProperty("conversation_history")] public List<NsMessage>? ConversationHistory { get; set; }
}

internal sealed class NsMessage
{
    [JsonProperty("id")] public Guid Id { get; set; }
    [JsonProperty("ticket_id")] public Guid TicketId { get; set; }
    [JsonProperty("author_id")] public Guid? AuthorId { get; set; }
    [JsonProperty("visibility")] public string Visibility { get; set; } = "";
    [JsonProperty("body")] public string Body { get; set; } = "";
    [JsonProperty("metadata")] public JObject Metadata { get; set; } = [];
    [JsonProperty("created_at")] public DateTimeOffset CreatedAt { get; set; }
}
#pragma warning restore CA1812, CA1852
