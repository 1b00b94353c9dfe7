using System.Text.Json;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.WebHost.Tests;

/// <summary>The web host's <c>dotnet publish</c> output (what its container image holds), published once per test class.</summary>
public sealed class PublishedWebHost : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private PublishedApp? _app;

    private PublishedApp App => _app ?? throw new InvalidOperationException("not published");

    /// <summary>The publish output: <c>AutoCrm.WebHost.dll</c>, <c>wwwroot/</c>, <c>appsettings.json</c>.</summary>
    public string Directory => App.Directory;

    public static bool RunningAsRoot => PublishedApp.RunningAsRoot;

    public async ValueTask InitializeAsync() => _app = await PublishedApp.PublishAsync("samples/WebHost/AutoCrm.WebHost.csproj");

    public ValueTask DisposeAsync()
    {
        _app?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The SDK's container settings of the project, as <c>-t:PublishContainer</c> computes them.</summary>
    public Task<JsonElement> ContainerSettingsAsync() => App.ContainerSettingsAsync("ContainerRepository", "ContainerUser");

    /// <summary>
    /// Starts the published host as a container platform does: <c>dotnet AutoCrm.WebHost.dll</c> in the publish
    /// directory, configured by environment variables only, as a non-root user, on a free loopback port; returns once it
    /// listens.
    /// </summary>
    public async Task<RunningWebHost> StartAsync(Uri supabaseUrl, string anonKey)
    {
        var process = App.Start("AutoCrm.WebHost.dll", [], new Dictionary<string, string>
        {
            ["AutoCrm__Url"] = supabaseUrl.ToString(),
            ["AutoCrm__ApiKey"] = anonKey,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });
        try
        {
            var listening = await process.WaitForLineAsync(l => l.Contains("Now listening on: http://", StringComparison.Ordinal), StartTimeout);
            return new RunningWebHost(process, new Uri(listening[listening.IndexOf("http://", StringComparison.Ordinal)..].Trim()));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}

/// <summary>A published web host running as a child process (through <c>runuser</c> when started as another user).</summary>
public sealed class RunningWebHost : IDisposable
{
    private readonly ServerProcess _process;

    internal RunningWebHost(ServerProcess process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output => _process.Output + _process.Error;

    public HttpClient CreateClient() => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Address };

    /// <summary>The user id the app itself runs as.</summary>
    public int AppUserId() => PublishedApp.UserIdOf(_process);

    public void Dispose() => _process.Dispose();
}
