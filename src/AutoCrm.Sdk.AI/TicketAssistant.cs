using AutoCrm.Sdk.AI.Internal;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.AI;

namespace AutoCrm.Sdk.AI;

/// <summary>
/// AI hooks on any <see cref="IChatClient"/> (Microsoft.Extensions.AI; OpenAI-compatible servers, Azure, Ollama, a fake in
/// tests): summarise a ticket's conversation, suggest a reply, triage a ticket. Each call reads the ticket as the
/// <see cref="CrmClient"/> it is given (row-level security applies) and returns a typed suggestion for the caller to
/// review; nothing is written except by <see cref="ApplyTriageAsync"/>. Internal notes reach the model only when that
/// client's user is an agent or an admin. Immutable and thread-safe.
/// </summary>
/// <example>
/// <code>
/// var assistant = new TicketAssistant(crm, chatClient);
/// var draft = await assistant.SuggestReplyAsync(ticketId);
/// replyBox.Text = draft.Body; // the agent edits and sends it
/// </code>
/// </example>
public class TicketAssistant
{
    private readonly CrmClient _crm = null!;
    private readonly IChatClient _chat = null!;
    private readonly TicketAssistantOptions _options = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs.</summary>
    protected TicketAssistant()
    {
    }

    /// <summary>Creates an assistant.</summary>
    /// <param name="crm">The CRM client whose user the assistant acts for (it reads the ticket as that user).</param>
    /// <param name="chat">The chat model.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults. Copied.</param>
    /// <exception cref="CrmValidationException">An option is out of range (code <c>invalid_options</c>).</exception>
    public TicketAssistant(CrmClient crm, IChatClient chat, TicketAssistantOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(crm);
        ArgumentNullException.ThrowIfNull(chat);
        _crm = crm;
        _chat = chat;
        _options = (options ?? new TicketAssistantOptions()).Validated();
    }

    /// <summary>Summarises a ticket's conversation.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller cannot read it.</exception>
    /// <exception cref="CrmException">The model failed (code <c>ai_unavailable</c>) or did not answer with the JSON asked
    /// for (code <c>ai_invalid_response</c>); both are transient.</exception>
    public virtual async Task<TicketSummary> SummarizeTicketAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = AiTelemetry.StartCall("AI.SummarizeTicket");
        try
        {
            var (prompt, staff) = await ReadAsync(ticketId, cancellationToken).ConfigureAwait(false);
            var (text, model) = await AskAsync(AiPrompts.SummarySystem, prompt, AiPrompts.SummaryFormat, cancellationToken).ConfigureAwait(false);
            var (summary, open) = AiAnswers.Summary(text);
            return new TicketSummary { TicketId = ticketId, Summary = summary, OpenQuestions = open, Model = model, IncludedInternalNotes = staff };
        }
        catch (Exception ex) when (AiTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Drafts the next reply to the requester, for an agent to review, edit and send.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The draft.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller cannot read it.</exception>
    /// <exception cref="CrmException">The model failed (<c>ai_unavailable</c>) or answered badly (<c>ai_invalid_response</c>).</exception>
    public virtual async Task<SuggestedReply> SuggestReplyAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = AiTelemetry.StartCall("AI.SuggestReply");
        try
        {
            var (prompt, staff) = await ReadAsync(ticketId, cancellationToken).ConfigureAwait(false);
            var (text, model) = await AskAsync(AiPrompts.ReplySystem, prompt, AiPrompts.ReplyFormat, cancellationToken).ConfigureAwait(false);
            return new SuggestedReply { TicketId = ticketId, Body = AiAnswers.Reply(text), Model = model, IncludedInternalNotes = staff };
        }
        catch (Exception ex) when (AiTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Suggests a priority, tags, the language and the sentiment of a ticket. Nothing is applied.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The suggestion.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller cannot read it.</exception>
    /// <exception cref="CrmException">The model failed (<c>ai_unavailable</c>) or answered badly (<c>ai_invalid_response</c>).</exception>
    public virtual async Task<TicketTriage> TriageTicketAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = AiTelemetry.StartCall("AI.TriageTicket");
        try
        {
            var (prompt, _) = await ReadAsync(ticketId, cancellationToken).ConfigureAwait(false);
            var (text, model) = await AskAsync(AiPrompts.TriageSystem(_options.TriageTags), prompt, AiPrompts.TriageFormat, cancellationToken)
                .ConfigureAwait(false);
            var (priority, tags, language, sentiment) = AiAnswers.Triage(text, _options.TriageTags);
            return new TicketTriage { TicketId = ticketId, Priority = priority, Tags = tags, Language = language, Sentiment = sentiment, Model = model };
        }
        catch (Exception ex) when (AiTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Applies a triage the caller reviewed, as the caller (row-level security decides; the ticket's history records the
    /// caller as the one who changed it): sets the priority and adds the tags the ticket does not have yet. Language and
    /// sentiment are not ticket fields and are not written.
    /// </summary>
    /// <param name="triage">The suggestion, as reviewed (change it with <c>with</c> first to apply part of it).</param>
    /// <param name="expectedVersion">The ticket's version the caller saw, to refuse the change if someone else changed it since.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the change (unchanged and not written when there was nothing to change).</returns>
    /// <exception cref="CrmConflictException">The ticket changed since <paramref name="expectedVersion"/>.</exception>
    public virtual async Task<Ticket> ApplyTriageAsync(TicketTriage triage, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(triage);
        using var activity = AiTelemetry.StartCall("AI.ApplyTriage");
        try
        {
            var ticket = await _crm.Tickets.GetAsync(triage.TicketId, TicketInclude.None, cancellationToken).ConfigureAwait(false);
            var tags = ticket.Tags.Concat(triage.Tags.Where(t => !ticket.Tags.Contains(t, StringComparer.Ordinal))).ToList();
            if (ticket.Priority == triage.Priority && tags.Count == ticket.Tags.Count)
            {
                return ticket;
            }

            return await _crm.Tickets.UpdateAsync(
                triage.TicketId, new TicketPatch { Priority = triage.Priority, Tags = tags }, expectedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AiTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>The ticket as the prompt, and whether the caller is staff (and so may show the model internal notes).</summary>
    private async Task<(string Prompt, bool Staff)> ReadAsync(Guid ticketId, CancellationToken cancellationToken)
    {
        var ticket = await _crm.Tickets.GetAsync(ticketId, TicketInclude.None, cancellationToken).ConfigureAwait(false);
        var staff = await IsStaffAsync(cancellationToken).ConfigureAwait(false);
        var messages = new List<TicketMessage>();
        await foreach (var message in _crm.Tickets.ListMessagesAsync(ticketId, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // Row-level security already hides internal notes from customers; this keeps them from the model for any
            // caller who is not staff (the service role included), whatever the database lets that caller read.
            if (staff || message.Visibility != MessageVisibility.Internal)
            {
                messages.Add(message);
            }
        }

        if (messages.Count > _options.MaxMessages)
        {
            messages.RemoveRange(0, messages.Count - _options.MaxMessages);
        }

        return (AiPrompts.Conversation(ticket, messages, staff, _options.MaxConversationCharacters), staff);
    }

    /// <summary>Staff: a signed-in user whose profile is an agent's or an admin's. Keys without a user are not.</summary>
    private async Task<bool> IsStaffAsync(CancellationToken cancellationToken)
    {
        Guid userId;
        if (await _crm.Auth.GetSessionAsync(cancellationToken).ConfigureAwait(false) is { User: { } user })
        {
            userId = user.Id;
        }
        else
        {
            try
            {
                userId = (await _crm.Auth.GetUserAsync(cancellationToken).ConfigureAwait(false)).Id;
            }
            catch (CrmAuthException)
            {
                return false;
            }
        }

        try
        {
            var profile = await _crm.Profiles.GetAsync(userId, cancellationToken).ConfigureAwait(false);
            return profile.Role is UserRole.Agent or UserRole.Admin;
        }
        catch (CrmNotFoundException)
        {
            return false;
        }
    }

    private async Task<(string? Text, string? Model)> AskAsync(string system, string prompt, ChatResponseFormat format, CancellationToken cancellationToken)
    {
        var options = new ChatOptions { ResponseFormat = format, Temperature = 0.2f, ModelId = _options.ModelId };
        ChatResponse response;
        try
        {
            response = await _chat.GetResponseAsync([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, prompt)], options, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not CrmException)
        {
            throw new CrmException(
                new CrmErrorInfo { Status = 0, Code = "ai_unavailable", Message = "The chat model could not be reached or failed.", Details = ex.GetType().Name, IsTransient = true },
                ex);
        }

        var model = response.ModelId ?? _options.ModelId ?? _chat.GetService<ChatClientMetadata>()?.DefaultModelId;
        return (response.Text, model);
    }
}
