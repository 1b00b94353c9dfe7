using Tomlyn;
using AutoCrm.DevStack.Auth;
using Tomlyn.Model;

namespace AutoCrm.DevStack;

/// <summary>The DevStack's configuration, from <c>supabase/config.toml</c> and <see cref="DevStackOptions"/>.</summary>
internal sealed record DevStackSettings
{
    public required string JwtSecret { get; init; }

    public int JwtExpirySeconds { get; init; } = 3600;

    public int MaxRows { get; init; } = 1000;

    public IReadOnlyList<string> Schemas { get; init; } = ["public", "graphql_public"];

    public IReadOnlyList<string> ExtraSearchPath { get; init; } = ["public", "extensions"];

    public bool EnableSignup { get; init; } = true;

    public int MinimumPasswordLength { get; init; } = 6;

    /// <summary>config.toml <c>[auth] password_requirements</c>: "", letters_digits, lower_upper_letters_digits or lower_upper_letters_digits_symbols.</summary>
    public string PasswordRequirements { get; init; } = string.Empty;

    /// <summary>The password rules GoTrue applies (length and required characters).</summary>
    public PasswordPolicy PasswordPolicy => PasswordPolicy.From(MinimumPasswordLength, PasswordRequirements);

    public bool EnableConfirmations { get; init; }

    public bool EnableRefreshTokenRotation { get; init; } = true;

    public int RefreshTokenReuseIntervalSeconds { get; init; } = 10;

    /// <summary>config.toml <c>[auth.rate_limit]</c> (the Supabase CLI's defaults when absent).</summary>
    public AuthRateLimits RateLimits { get; init; } = new();

    /// <summary>
    /// Apply <see cref="RateLimits"/> per client address, as the hosted platform does. On by default (unlike
    /// <c>supabase start</c>, whose GoTrue limits nothing): guessing passwords must not be free on a DevStack either.
    /// </summary>
    public bool EnforceAuthRateLimits { get; init; } = true;

    /// <summary>
    /// The web origins allowed to call the DevStack from a browser (see <see cref="Gateway.CorsPolicy"/>): loopback
    /// origins on any port, plus config.toml's <c>site_url</c> and <c>additional_redirect_urls</c>.
    /// </summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [.. Gateway.CorsPolicy.Loopback, "http://127.0.0.1:3000"];

    /// <summary>
    /// Refuse a request without an <c>apikey</c> (401), as the hosted platform does. On by default; off, such a
    /// request runs as anon, as through <c>supabase start</c>'s gateway.
    /// </summary>
    public bool RequireApiKey { get; init; } = true;

    public string SiteUrl { get; init; } = "http://127.0.0.1:3000";

    /// <summary>The base URL clients use (known once Kestrel is bound); the JWT issuer is <see cref="JwtIssuer"/>.</summary>
    public string ApiUrl { get; init; } = "http://127.0.0.1:54321";

    public string JwtIssuer => ApiUrl + "/auth/v1";

    /// <summary>The defaults of a DevStack without config.toml (for parts built without the service container).</summary>
    internal static DevStackSettings Default { get; } = new() { JwtSecret = string.Empty };

    /// <summary>Reads the settings the DevStack uses from a config.toml text (null = all defaults).</summary>
    public static DevStackSettings FromConfigToml(string? toml, string jwtSecret, string apiUrl)
    {
        var settings = new DevStackSettings { JwtSecret = jwtSecret, ApiUrl = apiUrl };
        if (string.IsNullOrWhiteSpace(toml))
        {
            return settings;
        }

        var model = TomlSerializer.Deserialize<TomlTable>(toml) ?? new TomlTable();
        var api = Table(model, "api");
        var auth = Table(model, "auth");
        var email = auth is null ? null : Table(auth, "email");
        settings = settings with
        {
            MaxRows = Int(api, "max_rows") ?? settings.MaxRows,
            Schemas = Strings(api, "schemas") ?? settings.Schemas,
            ExtraSearchPath = Strings(api, "extra_search_path") ?? settings.ExtraSearchPath,
            JwtExpirySeconds = Int(auth, "jwt_expiry") ?? settings.JwtExpirySeconds,
            EnableRefreshTokenRotation = Bool(auth, "enable_refresh_token_rotation") ?? settings.EnableRefreshTokenRotation,
            RefreshTokenReuseIntervalSeconds = Int(auth, "refresh_token_reuse_interval") ?? settings.RefreshTokenReuseIntervalSeconds,
            EnableSignup = (Bool(auth, "enable_signup") ?? true) && (Bool(email, "enable_signup") ?? true),
            MinimumPasswordLength = Int(auth, "minimum_password_length") ?? settings.MinimumPasswordLength,
            PasswordRequirements = Str(auth, "password_requirements") ?? settings.PasswordRequirements,
            SiteUrl = Str(auth, "site_url") ?? settings.SiteUrl,
            EnableConfirmations = Bool(email, "enable_confirmations") ?? settings.EnableConfirmations,
            RateLimits = AuthRateLimits.FromToml(auth is null ? null : Table(auth, "rate_limit")),
        };
        settings = settings with
        {
            CorsOrigins =
            [
                .. Gateway.CorsPolicy.Loopback,
                .. new[] { settings.SiteUrl }.Concat(Strings(auth, "additional_redirect_urls") ?? [])
                    .Select(Gateway.CorsPolicy.Normalize).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase),
            ],
        };
        _ = settings.PasswordPolicy; // an unknown password_requirements value stops the start, as it stops the Supabase CLI
        return settings;
    }

    private static TomlTable? Table(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) ? value as TomlTable : null;

    private static int? Int(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) && value is long l ? checked((int)l) : null;

    private static bool? Bool(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) && value is bool b ? b : null;

    private static string? Str(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) && value is string s ? s : null;

    private static string[]? Strings(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) && value is TomlArray array ? array.OfType<string>().ToArray() : null;
}
