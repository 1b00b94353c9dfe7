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
        await crm.Queues.ListAsync(Ct).ToListAsync(Ct);

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
    public void The_constructor_rejects_invalid_options_naming_the_first_setting()
    {
        var error = Assert.Throws<CrmValidationException>(() => new CrmClient(new CrmClientOptions { Url = new Uri("ftp://x"), MaxRetries = -1 }));

        Assert.Equal("invalid_options", error.Code);
        Assert.Equal("Url", error.Field);
        Assert.Contains("ApiKey is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxRetries", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Url", "not a url", "AutoCrm:Url")]
    [InlineData("Timeout", "soon", "AutoCrm:Timeout")]
    [InlineData("MaxRetries", "three", "AutoCrm:MaxRetries")]
    [InlineData("AutoRefreshToken", "yes", "AutoCrm:AutoRefreshToken")]
    [InlineData("Realtime:HeartbeatInterval", "25s", "AutoCrm:Realtime:HeartbeatInterval")]
    [InlineData("Realtime:ProtocolVersion", "3.0.0", "AutoCrm:Realtime:ProtocolVersion")]
    public void An_unreadable_setting_is_named_with_its_configuration_path(string key, string value, string path)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AutoCrm:Url"] = "http://127.0.0.1:54321",
            ["AutoCrm:ApiKey"] = "k",
            ["AutoCrm:" + key] = value,
        }).Build();
        var services = new ServiceCollection();
        services.AddAutoCrm(configuration.GetSection("AutoCrm"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<CrmValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal("invalid_configuration", error.Code);
        Assert.Equal(path, error.Field);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
