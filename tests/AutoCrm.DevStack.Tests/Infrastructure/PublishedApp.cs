using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AutoCrm.DevStack.Tests.Infrastructure;

/// <summary>
/// A project's <c>dotnet publish</c> output, which is exactly what its container image holds (the Dockerfile copies it,
/// <c>-t:PublishContainer</c> packs it), published from the build the tests run on (<c>--no-build</c>) into a
/// directory any user may read, and started from there the way a container platform starts it: by environment
/// variables only, as <see cref="NonRootUser"/> when the tests run as root (<c>runuser</c>).
/// </summary>
internal sealed class PublishedApp : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The user a root test run starts the app as: no home directory, no shell, nothing writable.</summary>
    public const string NonRootUser = "nobody";

    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(5);

    private readonly string _root;

    private PublishedApp(string project, string root)
    {
        Project = project;
        _root = root;
    }

    /// <summary>The project file, e.g. <c>…/samples/WebHost/AutoCrm.WebHost.csproj</c>.</summary>
    public string Project { get; }

    /// <summary>The publish output.</summary>
    public string Directory => Path.Combine(_root, "app");

    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>The repository's root (the folder of AutoCrm.Sdk.sln above the test assembly).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoCrm.Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("AutoCrm.Sdk.sln was not found above the test assembly.");
    }

    /// <param name="project">The project file, relative to the repository root.</param>
    public static async Task<PublishedApp> PublishAsync(string project)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The published app is started as a Linux container platform starts it.");
        }

        // Readable by the user the app runs as; the tests' own temporary directories are private to their user.
        var root = Path.Combine(Path.GetTempPath(), "autocrm-published-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var app = new PublishedApp(Path.Combine(RepositoryRoot(), project), root);
        try
        {
            await DotnetAsync("publish", app.Project, "-c", Configuration, "--no-build", "-nologo", "-o", app.Directory);
            return app;
        }
        catch
        {
            app.Dispose();
            throw;
        }
    }

    /// <summary>The SDK's container settings of the project as <c>-t:PublishContainer</c> computes them (MSBuild's JSON
    /// with <c>Properties</c> and <c>Items</c>); nothing is pulled or built.</summary>
    public async Task<JsonElement> ContainerSettingsAsync(params string[] properties)
    {
        var output = await DotnetAsync(
            ["msbuild", Project, "-nologo", "-p:Configuration=" + Configuration, "-t:ComputeContainerConfig",
             .. properties.Select(p => "-getProperty:" + p), "-getItem:ContainerPort", "-getItem:ContainerEnvironmentVariables"]);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
    }

    /// <summary>Starts <c>dotnet <paramref name="assembly"/> <paramref name="arguments"/></c> in the publish directory with
    /// <paramref name="environment"/>, as <see cref="NonRootUser"/> when the tests run as root.</summary>
    public ServerProcess Start(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment) =>
        RunningAsRoot
            ? ServerProcess.Start("runuser", ["-u", NonRootUser, "--", DotnetHost, assembly, .. arguments], environment, Directory)
            : ServerProcess.Start(DotnetHost, [assembly, .. arguments], environment, Directory);

    /// <summary>The app's own process: the innermost one under <paramref name="process"/> (runuser forks the app).</summary>
    public static int AppProcessId(ServerProcess process)
    {
        var pid = process.Id;
        while (File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var child, ..])
        {
            pid = int.Parse(child, CultureInfo.InvariantCulture);
        }

        return pid;
    }

    /// <summary>The user id the app itself runs as.</summary>
    public static int UserIdOf(ServerProcess process)
    {
        var uid = File.ReadLines($"/proc/{AppProcessId(process)}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>Sends <paramref name="signal"/> to the app itself, as a container platform does to the image's entry point
    /// (runuser would answer a signal of its own with its own exit code); runuser then exits with the app's code.</summary>
    public static void SignalApp(ServerProcess process, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { "-s", signal, AppProcessId(process).ToString(CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose() => System.IO.Directory.Delete(_root, recursive: true);

    /// <summary>The <c>dotnet</c> that runs the tests (<c>dotnet test</c> sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

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
}
