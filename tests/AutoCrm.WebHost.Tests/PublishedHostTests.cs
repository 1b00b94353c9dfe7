using System.Net;
using System.Text.Json;
using AutoCrm.DevStack;
using AutoCrm.DevStack.Tests.Infrastructure;
using AutoCrm.Sdk;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// The web host as it is deployed: its publish output (what the container image holds) started with environment
/// variables only, against a DevStack standing in for the Supabase project. Liveness and readiness answer as a
/// container platform expects, and the app runs as the non-root user it was started as.
/// </summary>
public sealed class PublishedHostTests(WebHostFixture app, PublishedWebHost published) : IClassFixture<PublishedWebHost>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Configured_by_environment_variables_only_it_is_live_and_ready_and_runs_as_a_non_root_user()
    {
        using var host = await published.StartAsync(app.DevStack.Url, app.DevStack.AnonKey);
        using var client = host.CreateClient();

        using var live = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var (status, ready) = await ReadinessAsync(client);
        Assert.True(status == HttpStatusCode.OK, $"{status}: {ready}\n{host.Output}");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Contains(CrmSchema.MinimumMigration, ready.GetProperty("checks").GetProperty("crm").GetProperty("description").GetString(), StringComparison.Ordinal);

        // The project's app, not the demo: no embedded DevStack, so the sign-in page lists no demo accounts.
        var signIn = await client.GetStringAsync("/signin", Ct);
        Assert.Contains("__RequestVerificationToken", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("autocrm-demo", signIn, StringComparison.Ordinal);

        Assert.NotEqual(0, host.AppUserId());
        if (PublishedWebHost.RunningAsRoot)
        {
            Assert.Equal(65534, host.AppUserId()); // nobody
        }
    }

    [Fact]
    public async Task Readiness_fails_naming_the_migration_until_the_database_is_migrated_and_liveness_stays_up()
    {
        // A project whose database stops short of the migration the SDK needs (a host deployed before `supabase db push`).
        var supabase = CopyOfSupabaseProject(out var withheld);
        var data = Path.Combine(Path.GetTempPath(), "autocrm-older-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var older = new DevStackOptions { DataDirectory = data, SupabaseDirectory = supabase, Seed = false };
            int port;
            string anonKey;
            RunningWebHost host;
            await using (var stack = await DevStackServer.StartAsync(older, Ct).WaitAsync(StartTimeout, Ct))
            {
                port = stack.Url.Port;
                anonKey = stack.AnonKey;
                host = await published.StartAsync(stack.Url, anonKey);
                using var client = host.CreateClient();

                using var live = await client.GetAsync("/healthz", Ct);
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
                var (status, ready) = await ReadinessAsync(client);
                Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{status}: {ready}\n{host.Output}");
                var description = ready.GetProperty("checks").GetProperty("crm").GetProperty("description").GetString();
                Assert.Contains($"migration {CrmSchema.MinimumMigration} is not applied", description, StringComparison.Ordinal);
            }

            // `supabase db push`: the same database, now with every migration (the DevStack applies the pending ones on start).
            foreach (var file in withheld)
            {
                File.Move(file + ".withheld", file);
            }

            using (host)
            {
                await using var migrated = await DevStackServer.StartAsync(older with { Port = port }, Ct).WaitAsync(StartTimeout, Ct);
                Assert.Equal(anonKey, migrated.AnonKey);
                using var client = host.CreateClient();
                var (status, ready) = await ReadinessAsync(client);
                Assert.True(status == HttpStatusCode.OK, $"{status}: {ready}\n{host.Output}");
            }
        }
        finally
        {
            Directory.Delete(supabase, recursive: true);
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Both_image_recipes_run_the_published_app_as_a_non_root_user_on_8080_and_name_no_registry()
    {
        // The SDK's container properties, as `dotnet publish -t:PublishContainer` evaluates them (no image is pulled here).
        var properties = await published.ContainerSettingsAsync();
        Assert.Equal("autocrm-webhost", properties.GetProperty("Properties").GetProperty("ContainerRepository").GetString());
        Assert.Equal("1654", properties.GetProperty("Properties").GetProperty("ContainerUser").GetString());
        Assert.Equal("8080", Assert.Single(properties.GetProperty("Items").GetProperty("ContainerPort").EnumerateArray()).GetProperty("Identity").GetString());
        var environment = Assert.Single(properties.GetProperty("Items").GetProperty("ContainerEnvironmentVariables").EnumerateArray());
        Assert.Equal(("ASPNETCORE_HTTP_PORTS", "8080"), (environment.GetProperty("Identity").GetString(), environment.GetProperty("Value").GetString()));
        var project = await File.ReadAllTextAsync(Path.Combine(PublishedApp.RepositoryRoot(), "samples", "WebHost", "AutoCrm.WebHost.csproj"), Ct);
        Assert.DoesNotContain("<ContainerBaseImage>", project, StringComparison.Ordinal);

        // The plain Dockerfile: a base image the builder names, the publish output, the same user, port and entry point.
        var dockerfile = (await File.ReadAllLinesAsync(Path.Combine(PublishedApp.RepositoryRoot(), "samples", "WebHost", "Dockerfile"), Ct))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        Assert.Equal(
            ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}", "WORKDIR /app", "COPY . .", "ENV ASPNETCORE_HTTP_PORTS=8080", "EXPOSE 8080", "USER 1654", "ENTRYPOINT [\"dotnet\", \"AutoCrm.WebHost.dll\"]"],
            dockerfile);
        Assert.True(File.Exists(Path.Combine(published.Directory, "AutoCrm.WebHost.dll")));
        Assert.True(File.Exists(Path.Combine(published.Directory, "wwwroot", "app.css")), "the static files are in the publish output");
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/readyz", Ct);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, body.RootElement.Clone());
    }

    /// <summary>A copy of the repository's supabase/ whose migrations from the SDK's minimum on are set aside
    /// (renamed, so the DevStack does not see them); <paramref name="withheld"/> are their original paths.</summary>
    private static string CopyOfSupabaseProject(out IReadOnlyList<string> withheld)
    {
        var source = Path.Combine(PublishedApp.RepositoryRoot(), "supabase");
        var target = Path.Combine(Path.GetTempPath(), "autocrm-supabase-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var later = Directory.GetFiles(Path.Combine(target, "migrations"), "*.sql")
            .Where(f => string.CompareOrdinal(Path.GetFileName(f), CrmSchema.MinimumVersion) >= 0)
            .ToList();
        Assert.Contains(later, f => Path.GetFileNameWithoutExtension(f) == CrmSchema.MinimumMigration);
        foreach (var file in later)
        {
            File.Move(file, file + ".withheld");
        }

        withheld = later;
        return target;
    }
}
