using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// The web host's <c>dotnet publish</c> output, which is exactly what its container image holds (the Dockerfile copies
/// it, <c>-t:PublishContainer</c> packs it), published once per test class from the build the tests run on
/// (<c>--no-build</c>), into a directory any user may read.
/// </summary>
public sealed class PublishedWebHost : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The user a root test run starts the host as: no home directory, no shell, nothing writable.</summary>
    public const string NonRootUser = "nobody";

    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "autocrm-published-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The publish output: <c>AutoCrm.WebHost.dll</c>, <c>wwwroot/</c>, <c>appsettings.json</c>.</summary>
    public string Directory => Path.Combine(_root, "webhost");

    public static bool RunningAsRoot => Environment.UserName == "root";

    public async ValueTask InitializeAsync()
    {
        // Readable by the user the host runs as; the tests' own temporary directories are private to their user.
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The published host is started as a Linux container platform starts it.");
        }

        System.IO.Directory.CreateDirectory(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await DotnetAsync("publish", Project, "-c", Configuration, "--no-build", "-nologo", "-o", Directory);
        Assert.True(File.Exists(Path.Combine(Directory, "AutoCrm.WebHost.dll")), "The publish output has no AutoCrm.WebHost.dll.");
    }

    /// <summary>The SDK's container settings of the project, evaluated as <c>-t:PublishContainer</c> computes them (MSBuild's JSON).</summary>
    public async Task<JsonElement> ContainerPropertiesAsync()
    {
        var output = await DotnetAsync(
            "msbuild", Project, "-nologo", "-p:Configuration=" + Configuration, "-t:ComputeContainerConfig",
            "-getProperty:ContainerRepository", "-getProperty:ContainerUser", "-getItem:ContainerPort", "-getItem:ContainerEnvironmentVariables");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Starts the published host as a container platform does: <c>dotnet AutoCrm.WebHost.dll</c> in the publish
    /// directory, configured by environment variables only, as <see cref="NonRootUser"/> when the tests run as root
    /// (<c>runuser</c>), on a free loopback port; returns once it listens.
    /// </summary>
    public async Task<RunningWebHost> StartAsync(Uri supabaseUrl, string anonKey)
    {
        var environment = new Dictionary<string, string>
        {
            ["AutoCrm__Url"] = supabaseUrl.ToString(),
            ["AutoCrm__ApiKey"] = anonKey,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        };
        string[] command = ["--", DotnetHost, "AutoCrm.WebHost.dll"];
        var process = RunningAsRoot
            ? ServerProcess.Start("runuser", ["-u", NonRootUser, .. command], environment, Directory)
            : ServerProcess.Start(DotnetHost, ["AutoCrm.WebHost.dll"], environment, Directory);
        try
        {
            var listening = await process.WaitForLineAsync(l => l.Contains("Now listening on: http://", StringComparison.Ordinal), StartTimeout);
            var address = new Uri(listening[listening.IndexOf("http://", StringComparison.Ordinal)..].Trim());
            return new RunningWebHost(process, address);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private static string Project => Path.Combine(WebHostFixture.RepositoryRoot(), "samples", "WebHost", "AutoCrm.WebHost.csproj");

    private static async Task<string> DotnetAsync(params string[] arguments)
    {
        using var dotnet = Process.Start(new ProcessStartInfo(DotnetHost, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = dotnet.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = dotnet.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await dotnet.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(DotnetTimeout, TestContext.Current.CancellationToken);
        Assert.True(dotnet.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} failed ({dotnet.ExitCode}):\n{await output}\n{await error}");
        return await output;
    }

    /// <summary>The <c>dotnet</c> that runs the tests (<c>dotnet test</c> sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
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

    /// <summary>The user id the app itself runs as: the innermost process under the one started (runuser forks the app).</summary>
    public int AppUserId()
    {
        var pid = _process.Id;
        while (File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var child, ..])
        {
            pid = int.Parse(child, CultureInfo.InvariantCulture);
        }

        var uid = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public void Dispose() => _process.Dispose();
}
