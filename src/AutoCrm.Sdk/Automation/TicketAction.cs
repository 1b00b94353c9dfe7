using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Automation;

/// <summary>What an action of a rule or macro does (docs/automation.md).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<TicketActionType>))]
public enum TicketActionType
{
    /// <summary><c>set_status</c>.</summary>
    SetStatus,

    /// <summary><c>set_priority</c>.</summary>
    SetPriority,

    /// <summary><c>set_queue</c> (a queue id, or null: out of any queue).</summary>
    SetQueue,

    /// <summary><c>assign</c> (an agent's or admin's id, or <c>"none"</c>).</summary>
    Assign,

    /// <summary><c>add_tags</c>.</summary>
    AddTags,

    /// <summary><c>remove_tags</c>.</summary>
    RemoveTags,

    /// <summary><c>set_field</c>: <c>{"key", "value"}</c> of a custom field.</summary>
    SetField,

    /// <summary><c>add_internal_note</c>: a template.</summary>
    AddInternalNote,

    /// <summary><c>send_reply</c>: a template.</summary>
    SendReply,

    /// <summary><c>notify</c>: an outbound event for integrations (rules only).</summary>
    Notify,
}

/// <summary>
/// One action of the vocabulary rules and macros share, <c>{"type", "value"}</c>. Build it with the static methods
/// (<c>TicketAction.AddTags("refund")</c>) or directly with the JSON form in <see cref="Value"/>.
/// Templates (notes, replies) may use <c>{{ticket.number}}</c>, <c>{{ticket.subject}}</c>, <c>{{requester.name}}</c>,
/// <c>{{assignee.name}}</c>, <c>{{queue.name}}</c> and the others docs/automation.md lists.
/// </summary>
public sealed record TicketAction
{
    /// <summary>What the action does.</summary>
    public required TicketActionType Type { get; init; }

    /// <summary>Its value, as JSON.</summary>
    public required JsonElement Value { get; init; }

    /// <summary>Sets the status.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The action.</returns>
    public static TicketAction SetStatus(TicketStatus status) => new() { Type = TicketActionType.SetStatus, Value = JsonValues.Of(EnumText.Get(status)) };

    /// <summary>Sets the priority.</summary>
    /// <param name="priority">The priority.</param>
    /// <returns>The action.</returns>
    public static TicketAction SetPriority(TicketPriority priority) => new() { Type = TicketActionType.SetPriority, Value = JsonValues.Of(EnumText.Get(priority)) };

    /// <summary>Moves the ticket to a queue, or out of any queue (<see langword="null"/>).</summary>
    /// <param name="queueId">The queue.</param>
    /// <returns>The action.</returns>
    public static TicketAction SetQueue(Guid? queueId) =>
        new() { Type = TicketActionType.SetQueue, Value = queueId is { } id ? JsonValues.Of(id.ToString("D")) : JsonValues.Null };

    /// <summary>Assigns the ticket to an agent or admin.</summary>
    /// <param name="assigneeId">Their id.</param>
    /// <returns>The action.</returns>
    public static TicketAction Assign(Guid assigneeId) => new() { Type = TicketActionType.Assign, Value = JsonValues.Of(assigneeId.ToString("D")) };

    /// <summary>Unassigns the ticket.</summary>
    /// <returns>The action.</returns>
    public static TicketAction Unassign() => new() { Type = TicketActionType.Assign, Value = JsonValues.Of("none") };

    /// <summary>Adds tags (those not there yet).</summary>
    /// <param name="tags">1 to 50 tags.</param>
    /// <returns>The action.</returns>
    public static TicketAction AddTags(params string[] tags) => new() { Type = TicketActionType.AddTags, Value = JsonValues.Of(tags) };

    /// <summary>Removes tags.</summary>
    /// <param name="tags">1 to 50 tags.</param>
    /// <returns>The action.</returns>
    public static TicketAction RemoveTags(params string[] tags) => new() { Type = TicketActionType.RemoveTags, Value = JsonValues.Of(tags) };

    /// <summary>Sets a custom field (<see cref="TicketFieldValue.None"/> clears it); checked like every field write.</summary>
    /// <param name="key">The field key.</param>
    /// <param name="value">The value.</param>
    /// <returns>The action.</returns>
    public static TicketAction SetField(string key, TicketFieldValue value)
    {
        Guard.NotBlank(key, "key");
        ArgumentNullException.ThrowIfNull(value);
        return new()
        {
            Type = TicketActionType.SetField,
            Value = JsonValues.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WritePropertyName("value");
                value.Json.WriteTo(w);
                w.WriteEndObject();
            }),
        };
    }

    /// <summary>Adds an internal note (staff only).</summary>
    /// <param name="template">The text, with placeholders.</param>
    /// <returns>The action.</returns>
    public static TicketAction AddInternalNote(string template) => new() { Type = TicketActionType.AddInternalNote, Value = JsonValues.Of(template) };

    /// <summary>Adds a public reply.</summary>
    /// <param name="template">The text, with placeholders.</param>
    /// <returns>The action.</returns>
    public static TicketAction SendReply(string template) => new() { Type = TicketActionType.SendReply, Value = JsonValues.Of(template) };

    /// <summary>Records an outbound event for integrations (<c>automation_notifications</c>, and the webhook outbox when
    /// installed). Rules only.</summary>
    /// <param name="message">A text of 1 to 1,000 characters.</param>
    /// <returns>The action.</returns>
    public static TicketAction Notify(string message) => new() { Type = TicketActionType.Notify, Value = JsonValues.Of(message) };

    /// <summary>Records an outbound event with a JSON object as its payload. Rules only.</summary>
    /// <param name="payload">A JSON object of at most 10,000 bytes.</param>
    /// <returns>The action.</returns>
    public static TicketAction Notify(JsonElement payload) => new() { Type = TicketActionType.Notify, Value = payload.Clone() };
}
