using AutoCrm.Sdk;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.DependencyInjection;

// Exercises the SDK's serialization, query building and DI paths without a server, so the AOT build keeps them all.
using var crm = new CrmClient(new CrmClientOptions { Url = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:54321"), ApiKey = "anon" });
var query = crm.Rest.From("tickets").Select("*,conversation_history:ticket_messages(*)")
    .In("status", [TicketStatus.New, TicketStatus.OnHold])
    .Or(RestFilter.Eq("priority", TicketPriority.Urgent), RestFilter.Contains("tags", ["a,b"]))
    .Order("created_at", descending: true).Range(0, 9);
Console.WriteLine(query);
var patch = new TicketPatch { Status = TicketStatus.Pending, AssigneeId = null, Metadata = CrmMetadata.Parse("""{"plan":"pro"}""") };
Console.WriteLine(patch.IsEmpty ? "empty" : "patch ok");
var services = new ServiceCollection().AddAutoCrm(o => { o.Url = new Uri("http://127.0.0.1:54321"); o.ApiKey = "anon"; });
using var provider = services.BuildServiceProvider();
Console.WriteLine(provider.GetRequiredService<CrmClient>() is not null ? "di ok" : "di missing");
if (args.Length > 0)
{
    await crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo");
    var ticket = await crm.Tickets.CreateAsync(new NewTicket { Subject = "AOT smoke" });
    Console.WriteLine($"created #{ticket.Number} {ticket.Status}");
}
