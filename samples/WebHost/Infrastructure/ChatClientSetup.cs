using System.ClientModel;
using AutoCrm.Sdk;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenAI;
using OpenAI.Chat;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>
/// The chat client behind "Suggest reply" and "Summarise", from configuration alone: any OpenAI-compatible endpoint
/// (<c>AutoCrm:AI:Endpoint</c>, <c>AutoCrm:AI:Model</c>, <c>AutoCrm:AI:ApiKey</c>; docs/ai.md). No model configured: no
/// chat client, and the pages offer no AI. A host (or a test) that registers its own <see cref="IChatClient"/> keeps it.
/// </summary>
internal static class ChatClientSetup
{
    public static IServiceCollection AddConfiguredChatClient(this IServiceCollection services, IConfigurationSection ai)
    {
        if (ai["Model"] is not { Length: > 0 } model)
        {
            return services;
        }

        var options = new OpenAIClientOptions();
        if (ai["Endpoint"] is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CrmValidationException(new CrmErrorInfo
                {
                    Code = "invalid_configuration",
                    Field = ai.Path + ":Endpoint",
                    Message = $"{ai.Path}:Endpoint must be an absolute http(s) URL, not '{endpoint}'.",
                    IsTransient = false,
                });
            }

            options.Endpoint = uri;
        }

        // Local servers (Ollama, llama.cpp) take no key, but the OpenAI library needs one to send.
        var key = ai["ApiKey"] is { Length: > 0 } configured ? configured : "no-key";
        services.TryAddSingleton<IChatClient>(_ => new ChatClient(model, new ApiKeyCredential(key), options).AsIChatClient());
        return services;
    }
}
