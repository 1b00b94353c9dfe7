using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>What the demo's automation step showed: a rule routing a customer's ticket, then a macro an agent applied.</summary>
internal sealed record DemoAutomation
{
    public required string Rule { get; init; }

    public required long TicketNumber { get; init; }

    public required string Queue { get; init; }

    public required string Priority { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>The <c>rule_applied</c> events in the ticket's history naming the rule.</summary>
    public required int RuleFirings { get; init; }

    public required string Macro { get; init; }

    public required string StatusAfterMacro { get; init; }

    public required string MacroReply { get; init; }
}

/// <summary>
/// The demo's automation step, after the workload (so that its changes are not counted with the streams' events): an admin
/// saves "subject contains refund-RUN → billing, high, tag refund", a customer files such a ticket, and the rule routes it
/// in the same transaction; then an agent applies a macro (status pending and a reply with placeholders). The rule and
/// macro are deleted afterwards; the ticket and its history stay.
/// </summary>
internal static class DemoAutomationStep
{
    internal static async Task<DemoAutomation> RunAsync(CrmClient admin, CrmClient customer, CrmClient agent, Queue billing, string run, CancellationToken cancellationToken)
    {
        var word = "refund-" + run;
        var rule = await admin.Automations.CreateAsync(
            new NewAutomationRule
            {
                Name = $"Route refunds ({run})",
                Event = RuleEvent.TicketCreated,
                Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains(word)),
                Actions = [TicketAction.SetQueue(billing.Id), TicketAction.SetPriority(TicketPriority.High), TicketAction.AddTags("refund")],
            },
            cancellationToken).ConfigureAwait(false);
        try
        {
            var filed = await customer.Tickets.CreateAsync(
                new NewTicket { Subject = $"Please {word} my last order", Description = "It arrived broken." }, cancellationToken).ConfigureAwait(false);
            var routed = await customer.Tickets.GetAsync(filed.Id, TicketInclude.Events, cancellationToken).ConfigureAwait(false);
            var macro = await admin.Macros.CreateAsync(
                new NewMacro
                {
                    Name = $"Refund received ({run})",
                    Shared = true,
                    Actions = [TicketAction.SetStatus(TicketStatus.Pending)],
                    Reply = "Hi {{requester.name}}, the refund for #{{ticket.number}} is on its way.",
                },
                cancellationToken).ConfigureAwait(false);
            try
            {
                var after = await agent.Macros.ApplyAsync(routed.Id, macro.Id, cancellationToken).ConfigureAwait(false);
                var messages = await agent.Tickets.ListMessagesAsync(routed.Id, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
                return new DemoAutomation
                {
                    Rule = rule.Name,
                    TicketNumber = routed.Number,
                    Queue = routed.QueueId == billing.Id ? billing.Slug : routed.QueueId?.ToString() ?? "none",
                    Priority = Cli.Arguments.Snake(routed.Priority),
                    Tags = routed.Tags,
                    RuleFirings = routed.Events?.Count(e => e.Kind == TicketEventKind.RuleApplied && e.RuleId == rule.Id && e.Visibility == MessageVisibility.Public) ?? 0,
                    Macro = macro.Name,
                    StatusAfterMacro = Cli.Arguments.Snake(after.Status),
                    MacroReply = messages.LastOrDefault()?.Body ?? "",
                };
            }
            finally
            {
                await admin.Macros.DeleteAsync(macro.Id, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await admin.Automations.DeleteAsync(rule.Id, cancellationToken).ConfigureAwait(false);
        }
    }
}
