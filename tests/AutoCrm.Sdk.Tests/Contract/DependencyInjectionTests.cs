using AutoCrm.Sdk.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class DependencyInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddAutoCrm_binds_a_configuration_section_and_uses_the_http_client_factory()
    {
        using var stub = new Stub();
        stub.Reply("GET", "/rest/v1/queues", 200, "[]");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AutoCrm:Url"] = stub.Url.ToString(),
            ["AutoCrm:ApiKey"] = "configured-key",
            ["AutoCrm:Schema"] = "public",
            ["AutoCrm:Timeout"] = "00:00:30",
            ["AutoCrm:MaxRetries"] = "1",
        }).Build();
        var services = new ServiceCollection();
        services.AddAutoCrm(configuration.GetSection("AutoCrm"));
        await using var provider = services.BuildServiceProvider();

        var crm = provider.GetRequiredService<CrmClient>();
        await crm.Queues.ListAsync(Ct);

        Assert.Same(crm, provider.GetRequiredService<CrmClient>());
        Assert.Equal("configured-key", stub.Single().Header("apikey"));
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<CrmClientOptions>>().Value.Timeout);
    }

    [Fact]
    public void Invalid_options_fail_start_up_validation()
    {
        var services = new ServiceCollection();
        services.AddAutoCrm(o => o.ApiKey = "k");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Url is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_constructor_rejects_invalid_options()
    {
        var error = Assert.Throws<ArgumentException>(() => new CrmClient(new CrmClientOptions { Url = new Uri("ftp://x"), MaxRetries = -1 }));

        Assert.Contains("ApiKey is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxRetries", error.Message, StringComparison.Ordinal);
    }
}
