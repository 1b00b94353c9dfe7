using System.Diagnostics;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests.Postgres;

public sealed class LocalClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Throwaway_cluster_serves_logical_replication_settings_and_is_removed_on_dispose()
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions(), Ct);
        var dataDirectory = cluster.DataDirectory!;
        try
        {
            Assert.True(cluster.CreatedNow);
            Assert.Equal("logical", await Db.ScalarAsync<string>(cluster.ConnectionString, "SHOW wal_level", Ct));
            Assert.Equal("20", await Db.ScalarAsync<string>(cluster.ConnectionString, "SHOW max_replication_slots", Ct));
            Assert.Equal("20", await Db.ScalarAsync<string>(cluster.ConnectionString, "SHOW max_wal_senders", Ct));
            Assert.Equal("127.0.0.1", await Db.ScalarAsync<string>(cluster.ConnectionString, "SHOW listen_addresses", Ct));
            Assert.True(Directory.Exists(dataDirectory));
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Assert.False(Directory.Exists(dataDirectory));
        Assert.False(await Db.CanConnectAsync(cluster.ConnectionString));
    }

    [Fact]
    public async Task The_server_runs_with_fixed_malloc_thresholds_so_backends_do_not_trim_their_heap_per_request()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions(), Ct);

        // Backends are forked from the postmaster and inherit its environment (and glibc's settings read from it).
        // glibc rewrites the variable in place while parsing it at start-up (Debian's 2.36 leaves the first tunable
        // before a NUL), so what /proc shows is a non-empty prefix of what was passed.
        var prefix = $"{ServerEnvironment.GlibcTunablesName}=";
        var passed = (await File.ReadAllTextAsync($"/proc/{cluster.ServerProcessId!.Value}/environ", Ct))
            .Split('\0')
            .SingleOrDefault(entry => entry.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        var expected = Environment.GetEnvironmentVariable(ServerEnvironment.GlibcTunablesName) is { Length: > 0 } own
            ? own
            : ServerEnvironment.MallocTunables;
        Assert.False(string.IsNullOrEmpty(passed), "the postmaster runs without GLIBC_TUNABLES");
        Assert.StartsWith(passed, expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Malloc_tunables_are_added_only_when_the_caller_sets_none()
    {
        Assert.Equal(
            ServerEnvironment.MallocTunables,
            ServerEnvironment.ForServer(_ => null)[ServerEnvironment.GlibcTunablesName]);
        Assert.Empty(ServerEnvironment.ForServer(name => name == ServerEnvironment.GlibcTunablesName ? "glibc.malloc.arena_max=2" : null));
    }

    [Fact]
    public async Task Persistent_directory_keeps_its_data_and_is_reused_on_the_next_start()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("cluster");
        await using (var first = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct))
        {
            Assert.True(first.CreatedNow);
            await Db.ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)", Ct);
        }

        Assert.True(File.Exists(Path.Combine(root, "pgdata", "PG_VERSION")));
        await using var second = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct);
        Assert.False(second.CreatedNow);
        Assert.Equal(42, await Db.ScalarAsync<int>(second.ConnectionString, "SELECT id FROM kept", Ct));
    }

    [Fact]
    public async Task Reset_recreates_a_persistent_cluster()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("cluster");
        await using (var first = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct))
        {
            await Db.ExecuteAsync(first.ConnectionString, "CREATE TABLE gone (id int)", Ct);
        }

        await using var second = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Reset = true, Durable = false }, Ct);
        Assert.True(second.CreatedNow);
        Assert.Null(await Db.ScalarAsync<string>(second.ConnectionString, "SELECT to_regclass('gone')::text", Ct));
    }

    [Fact]
    public async Task A_server_left_running_in_a_reused_directory_is_stopped_before_the_new_start()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("cluster");

        // The first owner "dies": it is never disposed before the second start.
        var abandoned = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct);
        var stalePid = abandoned.ServerProcessId!.Value;
        using var staleProcess = Process.GetProcessById(stalePid);

        await using var second = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct);
        await staleProcess.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(staleProcess.HasExited);
        Assert.False(second.CreatedNow);
        Assert.NotEqual(stalePid, second.ServerProcessId);
        Assert.Equal(1, await Db.ScalarAsync<int>(second.ConnectionString, "SELECT 1", Ct));
        if (second.Port != abandoned.Port)
        {
            Assert.False(await Db.CanConnectAsync(abandoned.ConnectionString));
        }
    }

    [Fact]
    public async Task A_lock_file_whose_pid_now_belongs_to_another_program_is_removed_without_signalling_it()
    {
        using var dir = new TempDirectory();
        var root = dir.Combine("cluster");
        await (await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct)).DisposeAsync();
        // A program of the postgres OS user that now has the recorded PID: it must be neither signalled nor block the start.
        var impostorInfo = new ProcessStartInfo("setpriv") { UseShellExecute = false };
        foreach (var arg in new[] { "--reuid=postgres", "--regid=postgres", "--clear-groups", "sleep", "600" })
        {
            impostorInfo.ArgumentList.Add(arg);
        }

        using var impostor = Process.Start(impostorInfo)!;
        try
        {
            var pidFile = Path.Combine(root, "pgdata", "postmaster.pid");
            await File.WriteAllTextAsync(pidFile, $"{impostor.Id}\n{Path.Combine(root, "pgdata")}\n", Ct);

            await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = root, Durable = false }, Ct);

            Assert.Equal(1, await Db.ScalarAsync<int>(cluster.ConnectionString, "SELECT 1", Ct));
            Assert.False(impostor.HasExited);
        }
        finally
        {
            impostor.Kill();
        }
    }

    [Fact]
    public async Task Throwaway_cluster_is_stopped_when_its_owner_process_dies()
    {
        using var owner = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { WatchdogProcessId = owner.Id }, Ct);
        try
        {
            using var postmaster = Process.GetProcessById(cluster.ServerProcessId!.Value);
            owner.Kill();
            await postmaster.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            Assert.True(postmaster.HasExited);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Missing_binaries_fail_with_install_and_attach_instructions()
    {
        using var empty = new TempDirectory();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalCluster.StartAsync(new LocalClusterOptions { BinDirectory = empty.Path }, Ct));
        Assert.Contains("apt-get install postgresql", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--db-url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DatabaseUrl", ex.Message, StringComparison.Ordinal);
        Assert.Contains(empty.Path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_without_pg_config_takes_the_newest_installed_major_version()
    {
        using var root = new TempDirectory();
        foreach (var version in new[] { "9.6", "14", "16", "notaversion" })
        {
            foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
            {
                root.Write(Path.Combine(version, "bin", tool), string.Empty);
            }
        }

        root.Write(Path.Combine("17", "bin", "psql"), string.Empty); // client tools only: skipped
        var found = await LocalCluster.FindBinDirectoryAsync(new LocalClusterOptions { UsePgConfig = false, PostgresInstallRoot = root.Path }, Ct);
        Assert.Equal(Path.Combine(root.Path, "16", "bin"), found);
    }

    [Fact]
    public async Task Discovery_with_nothing_installed_explains_how_to_get_postgres()
    {
        using var root = new TempDirectory();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalCluster.FindBinDirectoryAsync(new LocalClusterOptions { UsePgConfig = false, PostgresInstallRoot = root.Path }, Ct));
        Assert.Contains("apt-get install postgresql", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_uses_an_existing_server_and_leaves_it_running_on_dispose()
    {
        await using var owner = await LocalCluster.StartAsync(new LocalClusterOptions(), Ct);
        var url = ConnectionStrings.ToUrl(owner.ConnectionString);
        var attached = LocalCluster.Attach(url);
        Assert.Equal(owner.Port, attached.Port);
        Assert.Null(attached.DataDirectory);
        Assert.False(attached.CreatedNow);
        await attached.DisposeAsync();
        Assert.Equal(1, await Db.ScalarAsync<int>(owner.ConnectionString, "SELECT 1", Ct));
    }

    [Fact]
    public void Urls_and_connection_strings_convert_both_ways()
    {
        var cs = ConnectionStrings.Normalize("postgresql://postgres:p%40ss@127.0.0.1:54322/postgres");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(cs);
        Assert.Equal("p@ss", builder.Password);
        Assert.Equal(54322, builder.Port);
        Assert.Equal("postgresql://postgres:p%40ss@127.0.0.1:54322/postgres", ConnectionStrings.ToUrl(cs));
    }
}
