using System.Text.Json;
using AutoCrm.ConsoleHost.Cli;
using Spectre.Console;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>Runs <c>autocrm</c> in-process (the same entry the executable uses, minus the host) with captured output and a
/// private config directory. Runs from one instance share the directory (and so the saved session). With
/// <paramref name="terminal"/> the commands behave as in a terminal (live displays), rendered without colours. With
/// <paramref name="server"/> it points at that DevStack instead of the fixture's.</summary>
internal sealed class Cli(DevStackFixture? stack, bool terminal = false, AutoCrm.DevStack.DevStackServer? server = null)
{
    private AutoCrm.DevStack.DevStackServer? Server => server ?? stack?.Server;

    public string Home { get; } = TestPaths.NewDirectory("home-");

    public string ServiceKey => Server!.ServiceRoleKey;

    public Task<CliResult> RunAsync(params string[] args) =>
        RunAsync(new SignalWriter(), new SignalWriter(), TestContext.Current.CancellationToken, args);

    /// <summary>Runs with caller-owned writers (to watch output while the command runs) and cancellation (Ctrl+C).</summary>
    public async Task<CliResult> RunAsync(SignalWriter output, SignalWriter text, CancellationToken cancellationToken, params string[] args)
    {
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 240;
        var variables = new Dictionary<string, string?>();
        if (Server is { } target)
        {
            variables["AUTOCRM_URL"] = target.Url.ToString();
            variables["AUTOCRM_ANON_KEY"] = target.AnonKey;
        }

        var environment = new CliEnvironment
        {
            Console = console,
            Out = output,
            Error = error,
            ConfigDirectory = Home,
            Variables = variables,
            IsTerminal = terminal,
        };
        var code = await CliApp.RunAsync(args, environment, cancellationToken);
        return new CliResult(code, output.ToString(), text.ToString(), error.ToString());
    }

    /// <summary>Runs with the service_role key.</summary>
    public Task<CliResult> RunAsServiceAsync(params string[] args) => RunAsync([.. args, "--key", ServiceKey]);

    public async Task<CliResult> LoginAsync(string email)
    {
        var result = await RunAsync("login", "--email", email, "--password", "autocrm-demo");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}

internal sealed record CliResult(int ExitCode, string Output, string Text, string Error)
{
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Output);
            return document.RootElement.Clone();
        }
    }

    public CliResult Succeeded()
    {
        Assert.True(ExitCode == 0, ToString());
        return this;
    }

    public override string ToString() => $"exit {ExitCode}\n--- out\n{Output}\n--- text\n{Text}\n--- err\n{Error}";
}

/// <summary>A string writer whose readers can wait (with a timeout) for some text to appear.</summary>
internal sealed class SignalWriter : StringWriter
{
    private readonly object _gate = new();
    private readonly List<(Func<string, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
            Check();
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            base.Write(value);
            Check();
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_gate)
        {
            base.Write(buffer, index, count);
            Check();
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return base.ToString();
        }
    }

    public Task WaitForAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((condition, done));
            Check();
        }

        return done.Task.WaitAsync(timeout, TestContext.Current.CancellationToken);
    }

    private void Check()
    {
        var text = base.ToString();
        foreach (var waiter in _waiters.Where(w => w.Condition(text)).ToList())
        {
            waiter.Done.TrySetResult();
            _waiters.Remove(waiter);
        }
    }
}
