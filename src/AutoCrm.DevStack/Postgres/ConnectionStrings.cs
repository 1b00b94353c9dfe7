using System.Globalization;
using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>Conversions between PostgreSQL URLs (<c>postgresql://user:pass@host:port/db</c>) and Npgsql connection strings.</summary>
internal static class ConnectionStrings
{
    /// <summary>The platform's superuser, as on Supabase (the bootstrap superuser of a local cluster).</summary>
    internal const string SuperuserName = "supabase_admin";

    /// <summary>The project owner role migrations run as: not a superuser, as on Supabase.</summary>
    internal const string MigrationRoleName = "postgres";

    /// <summary>The password of the DevStack's login roles, as with <c>supabase start</c>.</summary>
    internal const string LocalPassword = "postgres";

    /// <summary>The superuser connection string of a local cluster.</summary>
    internal static string Local(int port) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = SuperuserName,
        Password = LocalPassword,
        Database = "postgres",
    }.ConnectionString;

    /// <summary>Accepts a URL or a keyword connection string; returns a keyword connection string.</summary>
    internal static string Normalize(string connectionStringOrUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrUrl);
        if (!connectionStringOrUrl.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !connectionStringOrUrl.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(connectionStringOrUrl).ConnectionString;
        }

        var uri = new Uri(connectionStringOrUrl);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        var query = uri.Query.TrimStart('?');
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) && Enum.TryParse<SslMode>(value.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var ssl))
            {
                builder.SslMode = ssl;
            }
            else if (key.Equals("application_name", StringComparison.OrdinalIgnoreCase))
            {
                builder.ApplicationName = value;
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>The URL form of a connection string (what <c>supabase status</c> prints as DB URL).</summary>
    internal static string ToUrl(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var user = Uri.EscapeDataString(b.Username ?? "postgres");
        var password = b.Password is null ? string.Empty : ":" + Uri.EscapeDataString(b.Password);
        var host = b.Host ?? "127.0.0.1";
        return string.Create(CultureInfo.InvariantCulture, $"postgresql://{user}{password}@{host}:{b.Port}/{Uri.EscapeDataString(b.Database ?? "postgres")}");
    }

    /// <summary>The same server and database, another login role.</summary>
    internal static string WithLogin(string connectionString, string username, string password) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = username, Password = password }.ConnectionString;
}
