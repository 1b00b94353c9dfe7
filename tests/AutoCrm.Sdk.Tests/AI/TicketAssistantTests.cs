using AutoCrm.Sdk.AI;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.AI;

namespace AutoCrm.Sdk.Tests.AI;

/// <summary>
/// The AI hooks with a deterministic fake chat model and a faked CRM client (no server): typed results, nothing written
/// without <c>ApplyTriageAsync</c>, strict parsing (every bad answer is a <see cref="CrmException"/> with code
/// <c>ai_invalid_response</c>, never another exception), internal notes only for staff callers, the model's failures typed.
/// </summary>
public sealed class TicketAssistantTests
{
    private static readonly Guid Customer = Guid.Parse("10000000-0000-4000-8000-00000000000a");
    private static readonly Guid Agent = Guid.Parse("10000000-0000-4000-8000-000000000001");
    private static readonly Guid TicketId = Guid.Parse("30000000-0000-4000-8000-000000000001");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Summarize_returns_the_models_summary_typed_with_the_model_that_answered_and_writes_nothing()
    {
        var crm = FakeCrm.SignedInAs(Agent, UserRole.Agent);
        var chat = new FakeChatClient("""{"summary": "The printer caught fire; an agent asked for the model.", "open_questions": ["Which printer model?"]}""");

        var summary = await new TicketAssistant(crm, chat).SummarizeTicketAsync(TicketId, Ct);

        Assert.Equal("The printer caught fire; an agent asked for the model.", summary.Summary);
        Assert.Equal(["Which printer model?"], summary.OpenQuestions);
        Assert.Equal("fake-model-1", summary.Model);
        Assert.Equal(TicketId, summary.TicketId);
        Assert.Empty(crm.FakeTickets.Updates);
        var (messages, options) = Assert.Single(chat.Requests);
        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.IsType<ChatResponseFormatJson>(options!.ResponseFormat);
        Assert.Equal("ticket_summary", ((ChatResponseFormatJson)options.ResponseFormat!).SchemaName);
    }

    [Fact]
    public async Task Internal_notes_reach_the_model_for_staff_and_never_for_a_customer_or_a_key_without_a_user()
    {
        var chat = new FakeChatClient("""{"reply": "Hello"}""");

        var forAgent = await new TicketAssistant(FakeCrm.SignedInAs(Agent, UserRole.Agent), chat).SuggestReplyAsync(TicketId, Ct);
        var forCustomer = await new TicketAssistant(FakeCrm.SignedInAs(Customer, UserRole.Customer), chat).SuggestReplyAsync(TicketId, Ct);
        var forServiceKey = await new TicketAssistant(FakeCrm.WithoutUser(), chat).SuggestReplyAsync(TicketId, Ct);

        var prompts = chat.Requests.Select(r => r.Messages[1].Text).ToList();
        Assert.Contains(FakeTickets.InternalNote, prompts[0], StringComparison.Ordinal);
        Assert.True(forAgent.IncludedInternalNotes);
        Assert.DoesNotContain(FakeTickets.InternalNote, prompts[1], StringComparison.Ordinal);
        Assert.False(forCustomer.IncludedInternalNotes);
        Assert.DoesNotContain(FakeTickets.InternalNote, prompts[2], StringComparison.Ordinal);
        Assert.False(forServiceKey.IncludedInternalNotes);
        Assert.All(prompts, p => Assert.Contains("My printer is on fire", p, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ticket_text_goes_only_in_the_user_message_and_the_instructions_say_it_is_data()
    {
        var chat = new FakeChatClient("""{"reply": "Hello"}""");
        await new TicketAssistant(FakeCrm.SignedInAs(Agent, UserRole.Agent), chat).SuggestReplyAsync(TicketId, Ct);

        var (messages, _) = Assert.Single(chat.Requests);
        Assert.DoesNotContain("My printer is on fire", messages[0].Text, StringComparison.Ordinal);
        Assert.Contains("not instructions to you", messages[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("<ticket>", messages[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_inside_a_json_code_fence_is_read()
    {
        var chat = new FakeChatClient("```json\n{\"reply\": \"Hi Carol, a technician is on the way.\"}\n```");
        var reply = await new TicketAssistant(FakeCrm.SignedInAs(Agent, UserRole.Agent), chat).SuggestReplyAsync(TicketId, Ct);
        Assert.Equal("Hi Carol, a technician is on the way.", reply.Body);
    }

    [Fact]
    public async Task Triage_is_typed_and_applying_it_is_a_separate_explicit_call_that_adds_tags_and_sets_the_priority()
    {
        var crm = FakeCrm.SignedInAs(Agent, UserRole.Agent);
        var chat = new FakeChatClient("""{"priority": "urgent", "tags": ["Hardware", "fire", "hardware"], "language": "en", "sentiment": "negative"}""");
        var assistant = new TicketAssistant(crm, chat);

        var triage = await assistant.TriageTicketAsync(TicketId, Ct);

        Assert.Equal(TicketPriority.Urgent, triage.Priority);
        Assert.Equal(["hardware", "fire"], triage.Tags);
        Assert.Equal("en", triage.Language);
        Assert.Equal(TicketSentiment.Negative, triage.Sentiment);
        Assert.Equal("fake-model-1", triage.Model);
        Assert.Empty(crm.FakeTickets.Updates);

        await assistant.ApplyTriageAsync(triage with { Tags = ["fire"] }, expectedVersion: 3, Ct);
        var (id, patch, version) = Assert.Single(crm.FakeTickets.Updates);
        Assert.Equal(TicketId, id);
        Assert.Equal(TicketPriority.Urgent, patch.Priority);
        Assert.Equal(["printer", "fire"], patch.Tags);
        Assert.Equal(3, version);
    }

    [Fact]
    public async Task Triage_keeps_to_the_offered_tags_when_there_are_some()
    {
        var chat = new FakeChatClient("""{"priority": "low", "tags": ["billing", "lasers"], "language": "en", "sentiment": "neutral"}""");
        var assistant = new TicketAssistant(FakeCrm.SignedInAs(Agent, UserRole.Agent), chat, new TicketAssistantOptions { TriageTags = ["billing", "hardware"] });

        var error = await Assert.ThrowsAsync<CrmException>(() => assistant.TriageTicketAsync(TicketId, Ct));

        Assert.Equal("ai_invalid_response", error.Code);
        Assert.Contains("chosen only from: billing, hardware", chat.Requests.Single().Messages[0].Text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadTriageAnswers() => new()
    {
        { "", "empty" },
        { "Sure! Here is the triage: priority high.", "not valid JSON" },
        { "[1, 2]", "not a JSON object" },
        { """{"priority": "high", "tags": [], "language": "en"}""", "\"sentiment\" is missing" },
        { """{"priority": "high", "tags": [], "language": "en", "sentiment": "neutral", "confidence": 0.9}""", "not asked for" },
        { """{"priority": "critical", "tags": [], "language": "en", "sentiment": "neutral"}""", "\"priority\" is not one of" },
        { """{"priority": 3, "tags": [], "language": "en", "sentiment": "neutral"}""", "\"priority\" is not a string" },
        { """{"priority": "high", "tags": "printer", "language": "en", "sentiment": "neutral"}""", "\"tags\" is not an array" },
        { """{"priority": "high", "tags": [1], "language": "en", "sentiment": "neutral"}""", "not a string" },
        { """{"priority": "high", "tags": ["a","b","c","d","e","f"], "language": "en", "sentiment": "neutral"}""", "more than 5" },
        { """{"priority": "high", "tags": [], "language": "English", "sentiment": "neutral"}""", "not a language tag" },
        { """{"priority": "high", "tags": [], "language": "en", "sentiment": "furious"}""", "\"sentiment\" is not one of" },
        { """{"priority": "high", "priority": "low", "tags": [], "language": "en", "sentiment": "neutral"}""", "appears twice" },
        { """{"priority": "high", "tags": [], "language": "en", "sentiment": "neutral",}""", "not valid JSON" },
        { "```python\nprint(1)\n```", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadTriageAnswers))]
    public async Task A_bad_answer_is_a_typed_transient_error_that_names_the_problem_and_never_the_answer(string answer, string problem)
    {
        var crm = FakeCrm.SignedInAs(Agent, UserRole.Agent);
        var assistant = new TicketAssistant(crm, new FakeChatClient(answer));

        var error = await Assert.ThrowsAsync<CrmException>(() => assistant.TriageTicketAsync(TicketId, Ct));

        Assert.Equal(typeof(CrmException), error.GetType());
        Assert.Equal("ai_invalid_response", error.Code);
        Assert.True(error.IsTransient);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("confidence", error.Message, StringComparison.Ordinal);
        Assert.Empty(crm.FakeTickets.Updates);
    }

    [Fact]
    public async Task A_failing_model_is_a_typed_transient_error_with_the_cause_inside_and_cancelling_passes_through()
    {
        var crm = FakeCrm.SignedInAs(Agent, UserRole.Agent);
        var chat = new FakeChatClient("{}") { BeforeAnswer = _ => throw new HttpRequestException("connection refused") };

        var error = await Assert.ThrowsAsync<CrmException>(() => new TicketAssistant(crm, chat).SummarizeTicketAsync(TicketId, Ct));
        Assert.Equal("ai_unavailable", error.Code);
        Assert.True(error.IsTransient);
        Assert.IsType<HttpRequestException>(error.InnerException);

        using var cancelled = new CancellationTokenSource();
        chat.BeforeAnswer = token =>
        {
            cancelled.Cancel();
            token.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new TicketAssistant(crm, chat).SummarizeTicketAsync(TicketId, cancelled.Token));
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_the_field()
    {
        var error = Assert.Throws<CrmValidationException>(() =>
            new TicketAssistant(FakeCrm.WithoutUser(), new FakeChatClient("{}"), new TicketAssistantOptions { MaxMessages = 0 }));
        Assert.Equal("max_messages", error.Field);
        Assert.Equal("invalid_options", error.Code);
    }

    [Fact]
    public async Task Only_the_newest_messages_within_the_limits_are_sent()
    {
        var chat = new FakeChatClient("""{"reply": "Hello"}""");
        await new TicketAssistant(FakeCrm.SignedInAs(Agent, UserRole.Agent), chat, new TicketAssistantOptions { MaxMessages = 1 }).SuggestReplyAsync(TicketId, Ct);

        var prompt = chat.Requests.Single().Messages[1].Text;
        Assert.DoesNotContain("My printer is on fire", prompt, StringComparison.Ordinal);
        Assert.Contains("Which model is it?", prompt, StringComparison.Ordinal);
    }

    /// <summary>A CRM client that sends nothing: a ticket with a customer message, an internal note and an agent reply.</summary>
    private sealed class FakeCrm(FakeTickets tickets, AuthClient auth, ProfilesClient profiles) : CrmClient
    {
        public FakeTickets FakeTickets => tickets;

        public override TicketsClient Tickets => tickets;

        public override AuthClient Auth => auth;

        public override ProfilesClient Profiles => profiles;

        public static FakeCrm SignedInAs(Guid user, UserRole role) =>
            new(new FakeTickets(), new FakeAuth(user), new FakeProfiles(user, role));

        public static FakeCrm WithoutUser() => new(new FakeTickets(), new FakeAuth(null), new FakeProfiles(Guid.Empty, UserRole.Customer));
    }

    private sealed class FakeTickets : TicketsClient
    {
        public const string InternalNote = "Customer is on the fraud watch list";

        public List<(Guid Id, TicketPatch Patch, int? Version)> Updates { get; } = [];

        private static Ticket Ticket => new()
        {
            Id = TicketId,
            Number = 42,
            Subject = "Printer on fire",
            Status = TicketStatus.Open,
            RequesterId = Customer,
            Tags = ["printer"],
            Version = 3,
        };

        public override Task<Ticket> GetAsync(Guid id, TicketInclude include = TicketInclude.None, CancellationToken cancellationToken = default) =>
            id == TicketId ? Task.FromResult(Ticket) : throw new CrmNotFoundException("gone");

        public override CrmPageable<TicketMessage> ListMessagesAsync(Guid ticketId, CancellationToken cancellationToken = default) =>
            CrmModelFactory.Pageable(new[]
            {
                new TicketMessage { Id = Guid.NewGuid(), TicketId = ticketId, AuthorId = Customer, Body = "My printer is on fire.", CreatedAt = DateTimeOffset.Parse("2026-12-05T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture) },
                new TicketMessage { Id = Guid.NewGuid(), TicketId = ticketId, AuthorId = Agent, Visibility = MessageVisibility.Internal, Body = InternalNote, CreatedAt = DateTimeOffset.Parse("2026-12-05T08:01:00Z", System.Globalization.CultureInfo.InvariantCulture) },
                new TicketMessage { Id = Guid.NewGuid(), TicketId = ticketId, AuthorId = Agent, Body = "Which model is it?", CreatedAt = DateTimeOffset.Parse("2026-12-05T08:02:00Z", System.Globalization.CultureInfo.InvariantCulture) },
            });

        public override Task<Ticket> UpdateAsync(Guid id, TicketPatch patch, int? expectedVersion = null, CancellationToken cancellationToken = default)
        {
            Updates.Add((id, patch, expectedVersion));
            return Task.FromResult(Ticket with { Priority = patch.Priority ?? Ticket.Priority, Tags = patch.Tags ?? Ticket.Tags });
        }
    }

    private sealed class FakeAuth(Guid? user) : AuthClient
    {
        public override Task<Session?> GetSessionAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(user is { } id ? new Session { AccessToken = "a", RefreshToken = "r", User = new User { Id = id } } : null);

        public override Task<User> GetUserAsync(CancellationToken cancellationToken = default) => throw new CrmAuthException("Sign in first.");
    }

    private sealed class FakeProfiles(Guid user, UserRole role) : ProfilesClient
    {
        public override Task<Profile> GetAsync(Guid userId, CancellationToken cancellationToken = default) =>
            userId == user ? Task.FromResult(new Profile { Id = user, Role = role }) : throw new CrmNotFoundException("no profile");
    }
}
