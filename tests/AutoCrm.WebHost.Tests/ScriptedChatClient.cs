using Microsoft.Extensions.AI;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// A deterministic chat model for the web host's tests: answers the assistant's reply and summary requests with fixed
/// JSON (which task it is, it reads from the system message), and remembers the prompts it was given. No network.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    public const string ReplyText = "Hi Carol, sorry about the double charge: we are looking into it.";
    public const string SummaryText = "The customer was charged twice for one order and wants a refund.";
    public const string OpenQuestion = "Which order number?";

    public List<string> Prompts { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (Prompts)
        {
            Prompts.Add(list.Last().Text);
        }

        var system = list[0].Text;
        var answer = system.Contains("draft the next reply", StringComparison.Ordinal)
            ? $$"""{"reply": "{{ReplyText}}"}"""
            : system.Contains("summarise", StringComparison.Ordinal)
                ? $$"""{"summary": "{{SummaryText}}", "open_questions": ["{{OpenQuestion}}"]}"""
                : """{"priority": "normal", "tags": [], "language": "en", "sentiment": "neutral"}""";
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = "scripted-model" });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The web host does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
