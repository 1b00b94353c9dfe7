using AutoCrm.Sdk.Auth;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class FileSessionStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "autocrm-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Session Sample(string access) => new()
    {
        AccessToken = access,
        RefreshToken = "r-" + access,
        ExpiresIn = 3600,
        ExpiresAt = new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task Saves_and_loads_the_session_atomically_with_owner_only_permissions()
    {
        var store = new FileSessionStore(Path.Combine(_directory, "nested", "session.json"));

        Assert.Null(await store.LoadAsync(Ct));
        await store.SaveAsync(Sample("a"), Ct);
        await store.SaveAsync(Sample("b"), Ct);

        Assert.Equal(Sample("b"), await store.LoadAsync(Ct));
        Assert.Equal(["session.json"], Directory.GetFiles(Path.GetDirectoryName(store.Path)!).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        }

        await store.ClearAsync(Ct);
        Assert.Null(await store.LoadAsync(Ct));
    }

    [Fact]
    public async Task A_damaged_file_reads_as_signed_out()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "session.json");
        await File.WriteAllTextAsync(path, "{not json", Ct);

        Assert.Null(await new FileSessionStore(path).LoadAsync(Ct));
    }

    [Fact]
    public async Task A_client_restores_its_session_from_the_store()
    {
        var store = new FileSessionStore(Path.Combine(_directory, "session.json"));
        await store.SaveAsync(Sample("restored") with { ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) }, Ct);
        using var crm = new CrmClient(new CrmClientOptions { Url = new Uri("http://crm.test"), ApiKey = "k", SessionStore = store });

        var session = await crm.Auth.GetSessionAsync(Ct);

        Assert.Equal("restored", session!.AccessToken);
    }
}
