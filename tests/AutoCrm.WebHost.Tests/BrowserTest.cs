using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// Real headless Chromium (Debian's /usr/bin/chromium) for a browser test class: one browser per class, pages opened through
/// <see cref="OpenAsync"/> so that a failing test can save each of them to test-results/ (<see cref="RunAsync"/>).
/// </summary>
public abstract class BrowserTest(WebHostFixture app) : IAsyncLifetime
{
    protected static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };
    protected static readonly LocatorAssertionsToHaveCountOptions Count = new() { Timeout = 30_000 };
    protected static readonly LocatorAssertionsToHaveTextOptions Text = new() { Timeout = 30_000 };
    protected static readonly LocatorAssertionsToContainTextOptions Contains = new() { Timeout = 30_000 };
    protected static readonly LocatorAssertionsToHaveAttributeOptions Attribute = new() { Timeout = 30_000 };

    private readonly List<IPage> _pages = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected WebHostFixture App => app;

    protected IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new page in a context, with generous timeouts (the machine is shared).</summary>
    protected async Task<IPage> OpenAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        _pages.Add(page);
        return page;
    }

    /// <summary>A fresh browser context signed in as a demo user through the sign-in form, and its first page.</summary>
    protected async Task<IPage> SignInAsync(string email, string landingHeading)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString() });
        var page = await OpenAsync(context);
        await page.GotoAsync("/signin");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(WebHostFixture.DemoPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = landingHeading })).ToBeVisibleAsync(Visible);
        return page;
    }

    /// <summary>Runs a test body; when it fails, saves every open page as <c>failure-{name}-{i}.png</c>.</summary>
    protected async Task RunAsync(string name, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            for (var i = 0; i < _pages.Count; i++)
            {
                await app.SaveScreenshotAsync(_pages[i], $"failure-{name}-{i}.png");
            }

            throw;
        }
    }
}
