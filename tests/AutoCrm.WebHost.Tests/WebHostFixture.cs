using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(AutoCrm.WebHost.Tests.WebHostFixture))]

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// One web app per test assembly, on a real Kestrel port, in demo mode: no <c>AutoCrm:Url</c>, so the app starts its own
/// embedded DevStack with the seed data, exactly as <c>dotnet run --project samples/WebHost</c> does.
/// </summary>
public sealed partial class WebHostFixture : IAsyncLifetime
{
    public const string DemoPassword = "autocrm-demo";

    private readonly ConcurrentQueue<string> _refreshTokensPresented = new();
    private readonly WebApplicationFactory<CrmBackend> _factory;

    public WebHostFixture() => _factory = new WebApplicationFactory<CrmBackend>()
        .WithWebHostBuilder(b => b.UseEnvironment("Production").UseSetting("AutoCrm:Url", "").UseSetting("AutoCrm:DevStack:AuthRateLimits", "false").ConfigureServices(services =>
        {
            services.AddHttpClient(AutoCrmServiceCollectionExtensions.HttpClientName)
                .AddHttpMessageHandler(() => new RefreshRecorder(_refreshTokensPresented));

            // The deterministic chat model behind the ticket page's "Suggest reply" and "Summarise" (no network).
            services.AddSingleton<Microsoft.Extensions.AI.IChatClient>(Chat);
        }));

    /// <summary>The app's chat model: scripted answers, and the prompts it was given.</summary>
    public ScriptedChatClient Chat { get; } = new();

    /// <summary>Every refresh token the app presented to the auth server, seen on the SDK's own <c>HttpClient</c> (the one
    /// <c>AddAutoCrm</c> takes from <c>IHttpClientFactory</c>).</summary>
    public IReadOnlyCollection<string> RefreshTokensPresented => _refreshTokensPresented;

    public CrmSessionStore Sessions => _factory.Services.GetRequiredService<CrmSessionStore>();

    public Uri BaseAddress { get; private set; } = null!;

    public CrmBackend Backend => _factory.Services.GetRequiredService<CrmBackend>();

    /// <summary>The app's embedded DevStack (demo mode), which other hosts may use as their Supabase project.</summary>
    public DevStack.DevStackServer DevStack => _factory.Services.GetRequiredService<EmbeddedDevStack>().Server;

    public ValueTask InitializeAsync()
    {
        // An explicit loopback listener on port 0: UseKestrel(0) leaves Kestrel on its default localhost:5000, which
        // fails whenever anything else on the machine holds that port.
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>A browser-like client (cookies, no automatic redirects) against the real server.</summary>
    public HttpClient CreateClient()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return client;
    }

    /// <summary>Signs in through the sign-in form (with its antiforgery token), as a browser would.</summary>
    public async Task<HttpClient> SignInAsync(string email, CancellationToken cancellationToken)
    {
        var client = CreateClient();
        using var response = await PostFormAsync(client, "/signin", new() { ["Email"] = email, ["Password"] = DemoPassword }, cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    /// <summary>Signs in through the sign-in form, and returns the browser with its server-side session entry.</summary>
    public async Task<(HttpClient Browser, CrmUserSession Entry)> SignInWithEntryAsync(string email, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies, UseCookies = true }) { BaseAddress = BaseAddress };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var response = await PostFormAsync(browser, "/signin", new() { ["Email"] = email, ["Password"] = DemoPassword }, cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var sid = cookies.GetCookies(BaseAddress)[CrmSessionAuthentication.CookieName]!.Value;
        return (browser, Sessions.Find(sid) ?? throw new InvalidOperationException("The sign-in left no server-side session."));
    }

    /// <summary>Loads the form page first for its antiforgery token, then posts the form to <paramref name="path"/>.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(
        HttpClient client, string path, Dictionary<string, string> fields, CancellationToken cancellationToken, string? formPage = null)
    {
        var page = await client.GetStringAsync(formPage ?? path, cancellationToken);
        fields["__RequestVerificationToken"] = AntiforgeryToken(page);
        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync(path, content, cancellationToken);
    }

    public static string AntiforgeryToken(string html) =>
        TokenPattern().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("No antiforgery token on the page.");

    /// <summary>An SDK client signed in as a demo user, for arranging data through the public API.</summary>
    public async Task<CrmClient> SdkAsAsync(string email, CancellationToken cancellationToken)
    {
        using var signIn = Backend.CreateSignInClient();
        Session session = await signIn.Auth.SignInWithPasswordAsync(email, DemoPassword, cancellationToken);
        return Backend.Root.WithSession(session);
    }

    /// <summary>Saves a screenshot under the repository's test-results/ (where CI collects artefacts).</summary>
    public async Task SaveScreenshotAsync(Microsoft.Playwright.IPage page, string fileName)
    {
        if (page.IsClosed)
        {
            return;
        }

        var directory = Path.Combine(RepositoryRoot(), "test-results");
        Directory.CreateDirectory(directory);
        try
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(directory, fileName), FullPage = true });
        }
        catch (Microsoft.Playwright.PlaywrightException)
        {
            // A page that died with the failure has nothing to show.
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AutoCrm.Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Notes the refresh token of every refresh grant passing through the SDK's HTTP client.</summary>
    private sealed class RefreshRecorder(ConcurrentQueue<string> presented) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.Query.Contains("grant_type=refresh_token", StringComparison.Ordinal) && request.Content is { } content)
            {
                using var body = JsonDocument.Parse(await content.ReadAsStringAsync(cancellationToken));
                presented.Enqueue(body.RootElement.GetProperty("refresh_token").GetString()!);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
