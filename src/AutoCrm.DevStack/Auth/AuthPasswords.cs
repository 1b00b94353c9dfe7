using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.DevStack.Auth;

/// <summary>bcrypt hashing and GoTrue's password-strength rules.</summary>
internal static class AuthPasswords
{
    /// <summary>bcrypt's input limit; GoTrue refuses longer passwords instead of truncating them.</summary>
    internal const int MaxPasswordBytes = 72;

    /// <summary>GoTrue uses Go's bcrypt default cost (10).</summary>
    private const int WorkFactor = 10;

    /// <summary>
    /// A bcrypt hash of a random password, at the same cost as every stored one. Sign-in checks the given password
    /// against it when the email is unknown (or has no password), so that answer costs what a wrong password for a
    /// registered email costs and the response time does not tell which emails are registered.
    /// </summary>
    private static readonly Lazy<string> UnknownUserHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));

    internal static string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, WorkFactor);

    /// <summary>Spends one bcrypt check on a hash no password matches (see <see cref="UnknownUserHash"/>); always false.</summary>
    internal static bool VerifyUnknownUser(string password)
    {
        _ = Verify(password, UnknownUserHash.Value);
        return false;
    }

    /// <summary>
    /// Checks a password against a bcrypt hash. Accepts <c>$2a$</c>/<c>$2b$</c>/<c>$2y$</c> hashes, including
    /// pgcrypto's <c>crypt(pw, gen_salt('bf'))</c> from seed files; anything else never matches.
    /// </summary>
    internal static bool Verify(string password, string? hash)
    {
        if (string.IsNullOrEmpty(hash) || !hash.StartsWith("$2", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>True when the string looks like a bcrypt hash GoTrue accepts as <c>password_hash</c>.</summary>
    internal static bool IsBcryptHash(string hash) =>
        hash.Length == 60
        && (hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal) || hash.StartsWith("$2y$", StringComparison.Ordinal));

    /// <summary>
    /// GoTrue's <c>checkPasswordStrength</c>: the <c>length</c> and <c>characters</c> rules, as a 422
    /// <c>weak_password</c> error whose reasons and message list every rule the password breaks.
    /// </summary>
    internal static void CheckStrength(string password, PasswordPolicy policy)
    {
        if (Encoding.UTF8.GetByteCount(password) > MaxPasswordBytes)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, $"Password cannot be longer than {MaxPasswordBytes} characters");
        }

        if (Evaluate(password, policy) is { } weak)
        {
            throw new AuthApiException(StatusCodes.Status422UnprocessableEntity, AuthErrorCodes.WeakPassword, weak.Message)
            {
                WeakPasswordReasons = weak.Reasons,
            };
        }
    }

    /// <summary>
    /// Why a password is weak, or null when it is not. As GoTrue: the length is counted in UTF-8 bytes (Go's
    /// <c>len</c>); each required character set needs at least one of its characters, and one message names all
    /// the sets. The <c>pwned</c> reason (an online HaveIBeenPwned lookup) is never given: the DevStack works offline.
    /// </summary>
    internal static WeakPassword? Evaluate(string password, PasswordPolicy policy)
    {
        var reasons = new List<string>(2);
        var messages = new List<string>(2);
        if (Encoding.UTF8.GetByteCount(password) < policy.MinimumLength)
        {
            reasons.Add("length");
            messages.Add($"Password should be at least {policy.MinimumLength} characters.");
        }

        foreach (var set in policy.RequiredCharacters)
        {
            if (set.Length > 0 && !ContainsAny(password, set))
            {
                reasons.Add("characters");
                messages.Add($"Password should contain at least one character of each: {string.Join(", ", policy.RequiredCharacters)}.");
                break;
            }
        }

        return reasons.Count == 0 ? null : new WeakPassword(reasons, string.Join(' ', messages));
    }

    /// <summary>Go's <c>strings.ContainsAny</c>: true when any Unicode code point of <paramref name="set"/> occurs in <paramref name="text"/>.</summary>
    private static bool ContainsAny(string text, string set)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (set.EnumerateRunes().Contains(rune))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A random password for admin-created users without one (GoTrue generates 64 characters).</summary>
    internal static string Random() =>
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 64);
}

/// <summary>A weak password's reasons (<c>length</c>, <c>characters</c>) and GoTrue's message for them.</summary>
internal sealed record WeakPassword(IReadOnlyList<string> Reasons, string Message);

/// <summary>
/// GoTrue's password rules: <c>GOTRUE_PASSWORD_MIN_LENGTH</c> and <c>GOTRUE_PASSWORD_REQUIRED_CHARACTERS</c>, which the
/// Supabase CLI derives from config.toml's <c>minimum_password_length</c> and <c>password_requirements</c>.
/// </summary>
internal sealed record PasswordPolicy
{
    /// <summary>The <c>password_requirements</c> values the Supabase CLI accepts, with the character sets it passes to GoTrue.</summary>
    internal static readonly IReadOnlyDictionary<string, string> RequirementSets = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [""] = "",
        ["letters_digits"] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
        ["lower_upper_letters_digits"] = "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789",
        ["lower_upper_letters_digits_symbols"] = "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789:!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~",
    };

    public int MinimumLength { get; init; } = 6;

    /// <summary>Character sets of which a password needs at least one character each (empty = no rule).</summary>
    public IReadOnlyList<string> RequiredCharacters { get; init; } = [];

    /// <summary>
    /// The policy for a config.toml <c>password_requirements</c> value.
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is not one the Supabase CLI accepts.</exception>
    internal static PasswordPolicy From(int minimumLength, string? requirements)
    {
        if (!RequirementSets.TryGetValue(requirements ?? string.Empty, out var sets))
        {
            throw new InvalidOperationException(
                $"Invalid config for auth.password_requirements: '{requirements}'. Must be one of: \"\", letters_digits, lower_upper_letters_digits, lower_upper_letters_digits_symbols.");
        }

        return new PasswordPolicy { MinimumLength = minimumLength, RequiredCharacters = DecodeRequiredCharacters(sets) };
    }

    /// <summary>GoTrue's <c>PasswordRequiredCharacters.Decode</c>: sets separated by ':', where a set ending in '\' continues with a literal ':'.</summary>
    internal static string[] DecodeRequiredCharacters(string value)
    {
        var parts = value.Split(':');
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var part = parts[i];
            if (part.Length > 0 && part[^1] == '\\')
            {
                parts[i] = part[..^1] + ":" + parts[i + 1];
                parts[i + 1] = string.Empty;
            }
        }

        return [.. parts.Where(part => part.Length > 0)];
    }
}
