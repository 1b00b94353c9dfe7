namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm webhooks</c> against the shared DevStack: the endpoint points at a closed port, so <c>run --once</c>
/// records a failed attempt; the endpoint is disabled at the end.</summary>
public sealed class WebhookCommandTests(DevStackFixture stack)
{
    [Fact]
    public async Task Add_list_deliveries_run_and_redeliver_as_the_service_role_and_agents_are_refused()
    {
        var cli = stack.Cli();
        var url = $"http://127.0.0.1:9/hooks/{Guid.NewGuid():N}";
        var added = (await cli.RunAsServiceAsync("webhooks", "add", url, "--event", "ticket.created", "--json")).Succeeded().Json;
        var endpoint = added.GetProperty("endpoint").GetProperty("id").GetString()!;
        Assert.StartsWith("whsec_", added.GetProperty("secret").GetString(), StringComparison.Ordinal);
        try
        {
            Assert.Contains(url, (await cli.RunAsServiceAsync("webhooks", "list")).Succeeded().Text, StringComparison.Ordinal);
            var customer = stack.Cli();
            await customer.LoginAsync("carol@customer.demo");
            (await customer.RunAsync("tickets", "create", "--subject", "Webhook CLI ticket", "--json")).Succeeded();
            var deliveries = (await cli.RunAsServiceAsync("webhooks", "deliveries", "--endpoint", endpoint, "--json")).Succeeded().Json;
            var delivery = deliveries.EnumerateArray().First().GetProperty("id").GetString()!;

            Assert.Contains("Dispatched", (await cli.RunAsServiceAsync("webhooks", "run", "--once")).Succeeded().Text, StringComparison.Ordinal);
            var after = (await cli.RunAsServiceAsync("webhooks", "deliveries", "--endpoint", endpoint, "--json")).Succeeded().Json;
            Assert.True(after.EnumerateArray().First().GetProperty("attempt_count").GetInt32() >= 1);

            Assert.Contains(delivery, (await cli.RunAsServiceAsync("webhooks", "redeliver", delivery)).Succeeded().Text, StringComparison.Ordinal);

            var agent = stack.Cli();
            await agent.LoginAsync("agent.alice@autocrm.demo");
            Assert.Equal(0, (await agent.RunAsync("webhooks", "list", "--json")).Succeeded().Json.GetArrayLength());
            Assert.NotEqual(0, (await agent.RunAsync("webhooks", "add", url, "--event", "ticket.created")).ExitCode);
            Assert.NotEqual(0, (await agent.RunAsync("webhooks", "run", "--once")).ExitCode);
        }
        finally
        {
            using var service = stack.ServiceClient();
            await service.Webhooks.UpdateAsync(Guid.Parse(endpoint), new AutoCrm.Sdk.Webhooks.WebhookEndpointPatch { Active = false }, TestContext.Current.CancellationToken);
        }
    }
}
