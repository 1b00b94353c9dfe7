using AutoCrm.Sdk.Webhooks;

namespace AutoCrm.Sdk.AspNetCore;

/// <summary>How <see cref="WebhookEndpointRouteBuilderExtensions.MapAutoCrmWebhook(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, string, WebhookReceiverOptions, Func{WebhookEvent, Microsoft.AspNetCore.Http.HttpContext, Task})"/> checks a request.</summary>
/// <example>
/// <code>
/// var options = new WebhookReceiverOptions { Secrets = [builder.Configuration["AutoCrm:WebhookSecret"]!] };
/// </code>
/// </example>
public sealed record WebhookReceiverOptions
{
    /// <summary>The endpoint's secrets (<c>whsec_…</c>). One is usual; hold the old and the new one while you switch
    /// after a rotation, and a request signed with either is accepted.</summary>
    public required IReadOnlyList<string> Secrets { get; init; }

    /// <summary>How far the signature's timestamp may be from the receiver's clock, either way; older requests are
    /// refused as replays. Five minutes by default.</summary>
    public TimeSpan Tolerance { get; init; } = WebhookSignature.DefaultTolerance;

    /// <summary>The largest body accepted, in bytes (1 MiB by default); a larger one is answered 413 unread.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;
}
