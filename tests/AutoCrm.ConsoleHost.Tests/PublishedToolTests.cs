using System.Text.Json;
using AutoCrm.DevStack.Tests.Infrastructure;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>
/// <c>autocrm</c>'s long-running commands as its container image runs them: the <c>dotnet publish</c> output (what the
/// image holds), configured by environment variables only, as a non-root user with no home directory, stopped by the
/// SIGTERM a container platform sends.
/// </summary>
public sealed class PublishedToolTests(DevStackFixture stack, PublishedTool published) : IClassFixture<PublishedTool>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Watch_from_the_publish_output_runs_on_environment_variables_only_as_a_non_root_user_and_stops_on_SIGTERM()
    {
        var ct = TestContext.Current.CancellationToken;
        var tool = published.App;
        using var service = stack.ServiceClient();
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "pub-" + Guid.NewGuid().ToString("N")[..10], Name = "Published watch" }, ct);
        var carol = (await service.Profiles.ListAsync(cancellationToken: ct).ToListAsync(ct)).Single(p => p.Email == "carol@customer.demo");

        // A back-office worker: the service_role key, no saved session, no ~/.autocrm (nobody's home does not exist).
        using var watch = tool.Start("autocrm.dll", ["watch", "--queue", queue.Slug, "--json"], new Dictionary<string, string>
        {
            ["AUTOCRM_URL"] = stack.Server.Url.ToString(),
            ["AUTOCRM_ANON_KEY"] = stack.Server.ServiceRoleKey,
            ["NO_COLOR"] = "1",
        });
        await watch.WaitForLineAsync(l => l.Contains("Watching", StringComparison.Ordinal), Timeout);
        Assert.NotEqual(0, PublishedApp.UserIdOf(watch));

        var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Seen from a container", QueueId = queue.Id, RequesterId = carol.Id }, ct);
        var line = await watch.WaitForLineAsync(l => l.Contains(ticket.Id.ToString(), StringComparison.Ordinal), Timeout);
        Assert.Equal(queue.Slug, JsonDocument.Parse(line).RootElement.GetProperty("queue").GetString());

        PublishedApp.SignalApp(watch, "TERM");
        Assert.Equal(0, await watch.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Both_image_recipes_run_the_published_tool_as_a_non_root_user_on_the_ASP_NET_Core_runtime_and_name_no_registry()
    {
        var tool = published.App;
        var settings = await tool.ContainerSettingsAsync("ContainerRepository", "ContainerUser", "ContainerBaseImage");
        var properties = settings.GetProperty("Properties");
        Assert.Equal("autocrm", properties.GetProperty("ContainerRepository").GetString());
        Assert.Equal("1654", properties.GetProperty("ContainerUser").GetString());
        // The tool embeds the DevStack (ASP.NET Core): the SDK must pick the ASP.NET Core runtime image, not the bare .NET one.
        Assert.Contains("/dotnet/aspnet:", properties.GetProperty("ContainerBaseImage").GetString(), StringComparison.Ordinal);
        using (var runtimeConfig = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(tool.Directory, "autocrm.runtimeconfig.json"), TestContext.Current.CancellationToken)))
        {
            Assert.Contains(
                runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("frameworks").EnumerateArray(),
                f => f.GetProperty("name").GetString() == "Microsoft.AspNetCore.App");
        }

        var project = await File.ReadAllTextAsync(tool.Project, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("<ContainerBaseImage>", project, StringComparison.Ordinal);

        var dockerfile = (await File.ReadAllLinesAsync(Path.Combine(PublishedApp.RepositoryRoot(), "samples", "ConsoleHost", "Dockerfile"), TestContext.Current.CancellationToken))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        Assert.Equal(["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}", "WORKDIR /app", "COPY . .", "USER 1654", "ENTRYPOINT [\"dotnet\", \"autocrm.dll\"]"], dockerfile);
        Assert.True(File.Exists(Path.Combine(tool.Directory, "autocrm.dll")));
    }
}

/// <summary>The tool's <c>dotnet publish</c> output, published once for the class.</summary>
public sealed class PublishedTool : IAsyncLifetime
{
    private PublishedApp? _app;

    internal PublishedApp App => _app ?? throw new InvalidOperationException("not published");

    public async ValueTask InitializeAsync() => _app = await PublishedApp.PublishAsync("samples/ConsoleHost/AutoCrm.ConsoleHost.csproj");

    public ValueTask DisposeAsync()
    {
        _app?.Dispose();
        return ValueTask.CompletedTask;
    }
}
