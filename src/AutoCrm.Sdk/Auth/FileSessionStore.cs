using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

/// <summary>
/// Keeps the session in a JSON file, for command-line tools. Writes are atomic (a temporary file in the same
/// directory, then a rename) and, on Unix, the file is readable and writable by its owner only (0600).
/// </summary>
/// <example><code>SessionStore = new FileSessionStore(Path.Combine(home, ".autocrm", "session.json"))</code></example>
public sealed class FileSessionStore : ISessionStore
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a store over a file; the file and its directory are created on the first save.</summary>
    /// <param name="path">The file path.</param>
    public FileSessionStore(string path)
    {
        Guard.NotBlank(path, "path");
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The full path of the session file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public async ValueTask<Session?> LoadAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(Path))
            {
                return null;
            }

            var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    return await JsonSerializer.DeserializeAsync(stream, CrmJsonContext.Default.Session, cancellationToken).ConfigureAwait(false);
                }
                catch (JsonException)
                {
                    // A damaged file means "not signed in", not a crash of every command.
                    return null;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(Path)!;
            Directory.CreateDirectory(directory);
            var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
                if (!OperatingSystem.IsWindows())
                {
                    // Created with 0600 from the start, so the token is never readable by others, not even briefly.
                    options.UnixCreateMode = OwnerOnly;
                }

                var stream = new FileStream(temp, options);
                await using (stream.ConfigureAwait(false))
                {
                    await JsonSerializer.SerializeAsync(stream, session, CrmJsonContext.Default.Session, cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                File.Move(temp, Path, overwrite: true);
            }
            catch
            {
                File.Delete(temp);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            File.Delete(Path);
        }
        finally
        {
            _gate.Release();
        }
    }
}
