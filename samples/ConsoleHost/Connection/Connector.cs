using AutoCrm.ConsoleHost.Cli;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

namespace AutoCrm.ConsoleHost.Connection;

/// <summary>Finds the project a command talks to: --url/--key, then AUTOCRM_URL/AUTOCRM_ANON_KEY, then
/// ~/.autocrm/profile.json, then a running <c>autocrm devstack</c>, else an embedded DevStack started in-process
/// over ~/.autocrm/devstack (so every command works on a fresh machine).</summary>
internal static class Connector
{
    internal static async Task<CrmTarget> ConnectAsync(ConnectionSettings settings, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var (url, key, source) = Resolve(settings, environment);
        if (url is not null)
        {
            if (key is null)
            {
                throw new UsageException($"a URL was given ({source}) but no API key: pass --key or set AUTOCRM_ANON_KEY");
            }

            return new CrmTarget(ParseUrl(url), key, source, SessionPath(environment, url), embedded: null, serviceRoleKey: null, environment.LoggerFactory);
        }

        if (DevStackInfo.LoadRunning(environment.ConfigDirectory) is { } running)
        {
            return new CrmTarget(ParseUrl(running.Url), key ?? running.AnonKey, "devstack", SessionPath(environment, "devstack"), null, running.ServiceRoleKey, environment.LoggerFactory);
        }

        var server = await StartEmbeddedAsync(environment, Path.Combine(environment.ConfigDirectory, "devstack"), port: 0, reset: false, cancellationToken).ConfigureAwait(false);
        return new CrmTarget(server.Url, key ?? server.AnonKey, "embedded", SessionPath(environment, "devstack"), server, server.ServiceRoleKey, environment.LoggerFactory);
    }

    /// <summary>The explicitly configured project, if any: (url, key, source).</summary>
    internal static (string? Url, string? Key, string Source) Resolve(ConnectionSettings settings, CliEnvironment environment)
    {
        if (settings.Url is not null)
        {
            return (settings.Url, settings.Key ?? environment.Variable("AUTOCRM_ANON_KEY"), "--url");
        }

        if (environment.Variable("AUTOCRM_URL") is { } envUrl)
        {
            return (envUrl, settings.Key ?? environment.Variable("AUTOCRM_ANON_KEY"), "AUTOCRM_URL");
        }

        if (ConnectionProfile.Load(environment.ConfigDirectory) is { Url: { Length: > 0 } profileUrl } profile)
        {
            return (profileUrl, settings.Key ?? profile.AnonKey, "profile");
        }

        return (null, settings.Key, "embedded");
    }

    internal static Task<DevStackServer> StartEmbeddedAsync(
        CliEnvironment environment, string? dataDirectory, int port, bool reset, CancellationToken cancellationToken) =>
        StartEmbeddedAsync(environment, dataDirectory, port, reset, demoKeys: false, authRateLimits: true, cancellationToken);

    /// <param name="demoKeys">Sign with the Supabase CLI's public demo secret (<c>autocrm devstack --demo-keys</c>).</param>
    /// <param name="authRateLimits">Rate-limit sign-ins per client address (off with <c>--no-auth-rate-limits</c>).</param>
    internal static async Task<DevStackServer> StartEmbeddedAsync(
        CliEnvironment environment, string? dataDirectory, int port, bool reset, bool demoKeys, bool authRateLimits, CancellationToken cancellationToken)
    {
        if (dataDirectory is not null)
        {
            Directory.CreateDirectory(dataDirectory);
        }

        try
        {
            return await DevStackServer.StartAsync(
                new DevStackOptions
                {
                    DataDirectory = dataDirectory,
                    Port = port,
                    Reset = reset,
                    LoggerFactory = environment.LoggerFactory,
                    JwtSecret = demoKeys ? DevStackDefaults.JwtSecret : null,
                    EnforceAuthRateLimits = authRateLimits,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not UsageException)
        {
            throw new CrmException(new CrmErrorInfo { Status = 503, Message = "the embedded DevStack did not start: " + ex.Message, IsTransient = true }, ex);
        }
    }

    internal static string SessionPath(CliEnvironment environment, string target)
    {
        var name = new string(target.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()).Trim('_');
        return Path.Combine(environment.ConfigDirectory, "sessions", name + ".json");
    }

    private static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"'{url}' is not an http(s) URL");
}
