using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>
/// A throwaway PostgreSQL 15 cluster with wal_level=logical, the Supabase API roles and a few published test
/// tables, shared by the Realtime tests. It keeps these tests independent of the AutoCRM schema's details.
/// </summary>
public sealed class ScratchPostgres : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private string _directory = "";

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "autocrm-rt-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        await RunAsync("chown", "postgres:postgres", _directory);
        var data = Path.Combine(_directory, "data");
        await RunAsync("runuser", "-u", "postgres", "--", $"{Bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8");
        var port = FreePort();
        await RunAsync("runuser", "-u", "postgres", "--", $"{Bin}/pg_ctl", "-D", data, "-w", "-l", Path.Combine(_directory, "log"), "-o",
            $"-p {port} -k {_directory} -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20 -c fsync=off",
            "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password=postgres;Database=postgres;Pooling=true";
        await ExecuteAsync(SetupSql);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync("runuser", "-u", "postgres", "--", $"{Bin}/pg_ctl", "-D", Path.Combine(_directory, "data"), "-m", "immediate", "stop");
        Directory.Delete(_directory, recursive: true);
    }

    public async Task ExecuteAsync(string sql, params object?[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await stdout}{await stderr}");
        }
    }

    private const string SetupSql = """
        create role anon nologin;
        create role authenticated nologin;
        create role service_role nologin bypassrls;
        grant usage on schema public to anon, authenticated, service_role;
        alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
        alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
        create schema auth;
        grant usage on schema auth to anon, authenticated, service_role;
        create function auth.uid() returns uuid language sql stable as $$
          select (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $$;
        create publication supabase_realtime;

        -- Plain table, no RLS: every subscriber sees everything it can select.
        create table public.notes (id bigint generated always as identity primary key, title text, body text,
          score numeric, rank int, done boolean default false, tags text[], meta jsonb,
          created_at timestamptz default now(), owner uuid);
        alter table public.notes replica identity full;

        -- RLS table: rows belong to an owner (the JWT sub); a hidden column only service_role may read.
        create table public.owned (id uuid primary key default gen_random_uuid(), owner uuid not null,
          queue text, title text, seq int, secret text);
        alter table public.owned replica identity full;
        alter table public.owned enable row level security;
        create policy owner_or_queue on public.owned for select to authenticated
          using (owner = auth.uid() or queue = any (coalesce(
            array(select jsonb_array_elements_text(nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'queues')), '{}')));
        revoke select on public.owned from authenticated;
        grant select (id, owner, queue, title, seq) on public.owned to authenticated;

        -- Default replica identity and no primary key.
        create table public.plain (id int primary key, label text);
        create table public.nokey (label text);
        alter table public.nokey replica identity full;

        -- Composite primary key under RLS, with a column named like the RLS check function's loop variable.
        create table public.pairs (a int, b text, owner uuid not null, rls_i int, label text, primary key (a, b));
        alter table public.pairs enable row level security;
        create policy pairs_owner on public.pairs for select to authenticated using (owner = auth.uid());

        -- A policy that fails (division by zero) for claims carrying "boom": other subscribers must not notice.
        create table public.fragile (id int primary key, label text);
        alter table public.fragile enable row level security;
        create policy fragile_select on public.fragile for select to authenticated using (
          case when nullif(current_setting('request.jwt.claims', true), '')::jsonb ? 'boom' then length(label) / 0 = 1 else true end);

        alter publication supabase_realtime add table public.notes, public.owned, public.plain, public.nokey, public.pairs, public.fragile;
        """;
}
