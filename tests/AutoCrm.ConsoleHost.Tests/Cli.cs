using System.Text.Json;
using AutoCrm.ConsoleHost.Cli;
using Spectre.Console;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>Runs <c>autocrm</c> in-process (the same entry the executable uses, minus the host) with captured output and a
/// private config directory. Runs from one instance share the directory (and so the saved session).</summary>
internal sealed class Cli(DevStackFixture? stack)
{
    public string Home { get; } = Directory.CreateTempSubdirectory("autocrm-cli-").FullName;

    public string ServiceKey => stack!.Server.ServiceRoleKey;

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 240;
        var variables = new Dictionary<string, string?>();
        if (stack is not null)
        {
            variables["AUTOCRM_URL"] = stack.Server.Url.ToString();
            variables["AUTOCRM_ANON_KEY"] = stack.Server.AnonKey;
        }

        var environment = new CliEnvironment
        {
            Console = console,
            Out = output,
            Error = error,
            ConfigDirectory = Home,
            Variables = variables,
            IsTerminal = false,
        };
        var code = await CliApp.RunAsync(args, environment, TestContext.Current.CancellationToken);
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
