using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Auth;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class LoginSettings : ReadSettings
{
    [CommandOption("-e|--email <EMAIL>")]
    [Description("Email address (prompted for on a terminal).")]
    public string? Email { get; init; }

    [CommandOption("-p|--password <PASSWORD>")]
    [Description("Password (prompted for on a terminal; AUTOCRM_PASSWORD also works).")]
    public string? Password { get; init; }
}

/// <summary><c>autocrm login</c>: signs in; the SDK's file session store keeps the session (owner-only) for later commands.
/// With --url the project is also saved to ~/.autocrm/profile.json.</summary>
internal sealed class LoginCommand(CliEnvironment environment) : CrmCommand<LoginSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, LoginSettings settings, CancellationToken cancellationToken)
    {
        var email = settings.Email ?? (Environment.IsTerminal ? await Console.PromptAsync(new TextPrompt<string>("Email:"), cancellationToken).ConfigureAwait(false) : null)
            ?? throw new UsageException("--email is required");
        var password = settings.Password ?? Environment.Variable("AUTOCRM_PASSWORD")
            ?? (Environment.IsTerminal ? await Console.PromptAsync(new TextPrompt<string>("Password:").Secret(), cancellationToken).ConfigureAwait(false) : null)
            ?? throw new UsageException("--password is required (or AUTOCRM_PASSWORD)");
        var session = await target.Client.Auth.SignInWithPasswordAsync(email, password, cancellationToken).ConfigureAwait(false);
        if (settings.Url is not null)
        {
            Directory.CreateDirectory(Environment.ConfigDirectory);
            var profile = new ConnectionProfile { Url = target.Url.ToString().TrimEnd('/'), AnonKey = target.ApiKey };
            await File.WriteAllTextAsync(ConnectionProfile.PathIn(Environment.ConfigDirectory), System.Text.Json.JsonSerializer.Serialize(profile), cancellationToken).ConfigureAwait(false);
        }

        if (settings.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, new { user_id = session.User?.Id, email = session.User?.Email, expires_at = session.ExpiresAt, url = target.Url, session_file = target.SessionStore.Path });
        }
        else
        {
            Console.MarkupLineInterpolated($"Signed in as [bold]{session.User?.Email ?? email}[/] at {target.Url} (session kept in {target.SessionStore.Path}).");
        }

        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm logout</c>: signs out on the server and deletes the session file.</summary>
internal sealed class LogoutCommand(CliEnvironment environment) : CrmCommand<ConnectionSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        if (await target.Client.Auth.GetSessionAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            Console.MarkupLine("Not signed in.");
            return ExitCodes.Success;
        }

        try
        {
            await target.Client.Auth.SignOutAsync(SignOutScope.Local, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await target.SessionStore.ClearAsync(cancellationToken).ConfigureAwait(false);
        }

        Console.MarkupLine("Signed out.");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm whoami</c>: the signed-in user, role and project; exit 4 when nobody is signed in.</summary>
internal sealed class WhoAmICommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings settings, CancellationToken cancellationToken)
    {
        var session = await target.Client.Auth.GetSessionAsync(cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            if (target.IsServiceKey)
            {
                Write(settings, new WhoAmI { Role = "service_role", Url = target.Url.ToString(), Source = target.Source });
                return ExitCodes.Success;
            }

            Environment.Error.WriteLine("error: not signed in (run `autocrm login`)");
            return ExitCodes.NotAuthorised;
        }

        var user = await target.Client.Auth.GetUserAsync(cancellationToken).ConfigureAwait(false);
        var profile = await target.Client.Profiles.GetAsync(user.Id, cancellationToken).ConfigureAwait(false);
        Write(settings, new WhoAmI
        {
            UserId = user.Id,
            Email = user.Email,
            DisplayName = profile.DisplayName,
            Role = Arguments.Snake(profile.Role),
            Url = target.Url.ToString(),
            Source = target.Source,
            ExpiresAt = session.ExpiresAt,
        });
        return ExitCodes.Success;
    }

    private void Write(ReadSettings settings, WhoAmI who)
    {
        if (settings.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, who);
            return;
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[grey]user[/]", Markup.Escape(who.Email ?? "(service key)"));
        grid.AddRow("[grey]role[/]", Markup.Escape(who.Role));
        if (who.DisplayName is not null)
        {
            grid.AddRow("[grey]name[/]", Markup.Escape(who.DisplayName));
        }

        grid.AddRow("[grey]project[/]", Markup.Escape($"{who.Url} ({who.Source})"));
        Console.Write(grid);
    }

    internal sealed record WhoAmI
    {
        public Guid? UserId { get; init; }

        public string? Email { get; init; }

        public string? DisplayName { get; init; }

        public required string Role { get; init; }

        public required string Url { get; init; }

        public required string Source { get; init; }

        public DateTimeOffset? ExpiresAt { get; init; }
    }
}
