using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace AutoCrm.Sdk.Tests.AI;

/// <summary>
/// A deterministic chat model: answers each request with <see cref="Answer"/> (computed from the request, so concurrent
/// callers get answers of their own), records every request, and reports <see cref="ModelId"/> as the model that answered.
/// </summary>
public sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, string> answer, string modelId = "fake-model-1") : IChatClient
{
    private int _calls;

    public FakeChatClient(string answer, string modelId = "fake-model-1")
        : this(_ => answer, modelId)
    {
    }

    public Func<IReadOnlyList<ChatMessage>, string> Answer { get; set; } = answer;

    public string ModelId => modelId;

    /// <summary>Every request: its messages and options, in arrival order.</summary>
    public ConcurrentQueue<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = new();

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Runs before each answer (a test uses it to block or fail a call).</summary>
    public Func<CancellationToken, Task>? BeforeAnswer { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Enqueue((list, options));
        Interlocked.Increment(ref _calls);
        if (BeforeAnswer is { } before)
        {
            await before(cancellationToken);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer(list))) { ModelId = modelId };
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The AI hooks do not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, modelId) : null;

    public void Dispose()
    {
    }
}
