using Npgsql;

namespace AutoCrm.DevStack.Bench;

/// <summary>The benchmark's own table, so the figures do not depend on the AutoCRM schema.</summary>
internal static class BenchDatabase
{
    public const int Rows = 10_000;
    public const int Groups = 100;

    public static string FromUrl(string url)
    {
        var uri = new Uri(url);
        var userInfo = uri.UserInfo.Split(':');
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            Database = uri.AbsolutePath.Trim('/'),
        }.ConnectionString;
    }

    public static async Task CreateAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand($"""
            create table if not exists public.bench_items (
              id int primary key, grp int not null, name text not null, price numeric(10,2) not null,
              tags text[] not null default '{"{}"}', created_at timestamptz not null default now());
            truncate public.bench_items;
            insert into public.bench_items (id, grp, name, price, tags)
              select g, g % {Groups}, 'item ' || g, (g % 997) / 10.0, array['t' || (g % 5)] from generate_series(1, {Rows}) g;
            create index if not exists bench_items_grp on public.bench_items (grp, id);
            grant select, update on public.bench_items to anon, authenticated, service_role;
            analyze public.bench_items;
            notify pgrst, 'reload schema';
            """);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until the REST schema cache has seen the table (the reload is asynchronous).</summary>
    public static async Task WaitForRestAsync(HttpClient http)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await http.GetAsync("bench_items?id=eq.1");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("REST never saw public.bench_items");
    }
}
