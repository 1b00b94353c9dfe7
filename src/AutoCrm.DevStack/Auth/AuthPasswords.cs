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

    internal static string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, WorkFactor);

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

    /// <summary>GoTrue's <c>checkPasswordStrength</c> (length rule; the error is <c>weak_password</c> with reasons).</summary>
    internal static void CheckStrength(string password, int minimumLength)
    {
        if (Encoding.UTF8.GetByteCount(password) > MaxPasswordBytes)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, $"Password cannot be longer than {MaxPasswordBytes} characters");
        }

        if (WeakReasons(password, minimumLength) is { } reasons)
        {
            throw new AuthApiException(StatusCodes.Status422UnprocessableEntity, AuthErrorCodes.WeakPassword, LengthMessage(minimumLength))
            {
                WeakPasswordReasons = reasons,
            };
        }
    }

    /// <summary>The reasons a password is weak, or null when it is not (length in UTF-8 bytes, as Go's <c>len</c>).</summary>
    internal static IReadOnlyList<string>? WeakReasons(string password, int minimumLength) =>
        Encoding.UTF8.GetByteCount(password) < minimumLength ? ["length"] : null;

    internal static string LengthMessage(int minimumLength) => $"Password should be at least {minimumLength} characters.";

    /// <summary>A random password for admin-created users without one (GoTrue generates 64 characters).</summary>
    internal static string Random() =>
        RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 64);
}
