using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.DevStack.Security;

/// <summary>
/// The project's JWT secret. Supabase's local demo secret is public, so anyone who can reach a DevStack that uses it
/// can sign a <c>service_role</c> token; by default each data directory has its own random secret instead, kept in
/// the file <see cref="FileName"/> (owner-only) so that the keys stay the same from one start to the next.
/// </summary>
internal static class ProjectSecret
{
    /// <summary>The file in the data directory that holds the secret.</summary>
    internal const string FileName = "jwt-secret";

    /// <summary>
    /// The secret to use: <see cref="DevStackOptions.JwtSecret"/> when given; else the one kept in the data directory
    /// (created on first use); else, with no data directory, a new one for this start.
    /// </summary>
    internal static string Resolve(DevStackOptions options)
    {
        if (options.JwtSecret is { } given)
        {
            if (Encoding.UTF8.GetByteCount(given) < 32)
            {
                throw new ArgumentException("The JWT secret must be at least 32 characters long, as Supabase requires.", nameof(options));
            }

            return given;
        }

        return options.DataDirectory is { } directory ? LoadOrCreate(Path.GetFullPath(directory)) : Generate();
    }

    /// <summary>384 random bits, base64url: as long as the secrets Supabase generates for hosted projects.</summary>
    internal static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            // Written whole under another name, then moved into place: a DevStack starting at the same moment sees
            // either no file or the complete one, and the first move wins.
            var secret = Generate();
            var temporary = Path.Combine(directory, $".{FileName}.{Guid.NewGuid():N}");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, create))
            {
                stream.Write(Encoding.UTF8.GetBytes(secret));
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
                return secret;
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        var stored = File.ReadAllText(path).Trim();
        return Encoding.UTF8.GetByteCount(stored) >= 32
            ? stored
            : throw new InvalidOperationException($"{path} does not hold a JWT secret of at least 32 characters; delete it to have a new one generated (the API keys change with it).");
    }
}
