using AutoCrm.Sdk;
using AutoCrm.Sdk.AI;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.AI;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>
/// "Suggest reply" and "Summarise" for staff, when a chat client is configured (<c>AutoCrm:AI</c>, docs/ai.md). The
/// assistant reads the ticket as the agent and writes nothing: the suggestion is put in the reply box and the agent
/// edits and sends it with the ordinary reply. A model that fails or answers badly is a message on the page.
/// </summary>
public sealed partial class TicketDetailsModel
{
    /// <summary>Whether this user gets the AI buttons: staff, with a chat client configured.</summary>
    public bool AssistantAvailable => IsStaff && HttpContext.RequestServices.GetService<IChatClient>() is not null;

    /// <summary>The draft to put in the reply box.</summary>
    public string? SuggestedReply { get; private set; }

    public TicketSummary? Summary { get; private set; }

    /// <summary>Why the model gave nothing usable.</summary>
    public string? AssistantProblem { get; private set; }

    public Task<IActionResult> OnPostSuggestReplyAsync(CancellationToken cancellationToken) =>
        AskAsync(async assistant => SuggestedReply = (await assistant.SuggestReplyAsync(TicketId, cancellationToken)).Body, cancellationToken);

    public Task<IActionResult> OnPostSummarizeAsync(CancellationToken cancellationToken) =>
        AskAsync(async assistant => Summary = await assistant.SummarizeTicketAsync(TicketId, cancellationToken), cancellationToken);

    /// <summary>Asks the model, then renders the page with the answer (not redirected: it is shown once, not stored).</summary>
    private async Task<IActionResult> AskAsync(Func<TicketAssistant, Task> ask, CancellationToken cancellationToken)
    {
        if (!IsStaff)
        {
            return Forbid();
        }

        if (HttpContext.RequestServices.GetService<IChatClient>() is not { } chat)
        {
            return NotFound();
        }

        var crm = await user.GetAsync(cancellationToken);
        var model = HttpContext.RequestServices.GetRequiredService<IConfiguration>()["AutoCrm:AI:Model"];
        try
        {
            await ask(new TicketAssistant(crm, chat, new TicketAssistantOptions { ModelId = model }));
        }
        catch (CrmException ex) when (ex.Code is "ai_invalid_response" or "ai_unavailable")
        {
            AssistantProblem = ex.Message;
        }

        View = await TicketView.LoadAsync(crm, Number, IsStaff, user.UserId, cancellationToken);
        return Page();
    }
}
