namespace AutoCrm.Sdk.Auth;

/// <summary>
/// Where a client keeps its signed-in session between calls (and, for a persistent store, between runs).
/// Implementations must be safe to call concurrently.
/// </summary>
public interface ISessionStore
{
    /// <summary>Reads the stored session.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The session, or <see langword="null"/> when none is stored.</returns>
    ValueTask<Session?> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a session, replacing the previous one.</summary>
    /// <param name="session">The session.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the session is stored.</returns>
    ValueTask SaveAsync(Session session, CancellationToken cancellationToken = default);

    /// <summary>Forgets the stored session.</summary>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task that completes when the session is gone.</returns>
    ValueTask ClearAsync(CancellationToken cancellationToken = default);
}
