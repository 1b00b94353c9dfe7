using System.Net;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// Who gets the AI buttons: never a customer (and a customer's post to the handler is refused), and nobody when no chat
/// client is configured (a second web host on the same backend, without one). The configuration turns an
/// OpenAI-compatible endpoint into a chat client without sending anything.
/// </summary>
public sealed class AssistantAccessTests(WebHostFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_customer_never_gets_the_ai_buttons_and_cannot_post_to_them()
    {
        using var carol = await app.SdkAsAsync("carol@customer.demo", Ct);
        var ticket = await carol.Tickets.CreateAsync(new NewTicket { Subject = "Where is my parcel?", Description = "Ordered last week." }, Ct);
        using var browser = await app.SignInAsync("carol@customer.demo", Ct);

        var page = await browser.GetStringAsync($"/tickets/{ticket.Number}", Ct);
        Assert.DoesNotContain("suggest-reply", page, StringComparison.Ordinal);
        Assert.DoesNotContain("summarize", page, StringComparison.Ordinal);
        using var refused = await WebHostFixture.PostFormAsync(
            browser, $"/tickets/{ticket.Number}?handler=SuggestReply", new() { ["TicketId"] = ticket.Id.ToString() }, Ct, formPage: $"/tickets/{ticket.Number}");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task An_agent_gets_no_ai_buttons_from_a_host_without_a_chat_client()
    {
        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        using var carol = await app.SdkAsAsync("carol@customer.demo", Ct);
        var billing = (await admin.Queues.ListAsync(Ct).ToListAsync(Ct)).Single(q => q.Slug == "billing");
        var ticket = await carol.Tickets.CreateAsync(new NewTicket { Subject = "Invoice missing", Description = "No invoice for my order." }, Ct);
        await admin.Tickets.UpdateAsync(ticket.Id, new TicketPatch { QueueId = billing.Id }, cancellationToken: Ct);
        await using var plain = new WebApplicationFactory<CrmBackend>().WithWebHostBuilder(b => b
            .UseEnvironment("Production")
            .UseSetting("AutoCrm:Url", app.DevStack.Url.ToString())
            .UseSetting("AutoCrm:ApiKey", app.DevStack.AnonKey));
        Assert.Null(plain.Services.GetService<IChatClient>());
        using var browser = plain.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using (var signIn = await WebHostFixture.PostFormAsync(
            browser, "/signin", new() { ["Email"] = "agent.alice@autocrm.demo", ["Password"] = WebHostFixture.DemoPassword }, Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var page = await browser.GetStringAsync($"/tickets/{ticket.Number}", Ct);
        Assert.Contains("data-testid=\"send-reply\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("suggest-reply", page, StringComparison.Ordinal);

        // The fixture's host has one, and the same agent gets the buttons there.
        using var withChat = await app.SignInAsync("agent.alice@autocrm.demo", Ct);
        Assert.Contains("data-testid=\"suggest-reply\"", await withChat.GetStringAsync($"/tickets/{ticket.Number}", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public void An_openai_compatible_endpoint_is_configuration_only_and_a_bad_one_is_refused_by_name()
    {
        var services = new ServiceCollection().AddConfiguredChatClient(Section(new() { ["AutoCrm:AI:Model"] = "llama3.1", ["AutoCrm:AI:Endpoint"] = "http://127.0.0.1:9/v1" }));
        using var provider = services.BuildServiceProvider();
        var metadata = provider.GetRequiredService<IChatClient>().GetService<ChatClientMetadata>();
        Assert.Equal("llama3.1", metadata?.DefaultModelId);
        Assert.Equal(9, metadata?.ProviderUri?.Port);

        Assert.Empty(new ServiceCollection().AddConfiguredChatClient(Section(new() { ["AutoCrm:AI:Endpoint"] = "http://127.0.0.1:9/v1" })));
        var error = Assert.Throws<CrmValidationException>(() =>
            new ServiceCollection().AddConfiguredChatClient(Section(new() { ["AutoCrm:AI:Model"] = "m", ["AutoCrm:AI:Endpoint"] = "not a url" })));
        Assert.Equal("invalid_configuration", error.Code);
        Assert.Equal("AutoCrm:AI:Endpoint", error.Field);
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("AutoCrm:AI");
}
