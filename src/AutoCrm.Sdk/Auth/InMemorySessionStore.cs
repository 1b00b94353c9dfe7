namespace AutoCrm.Sdk.Auth;

/// <summary>Keeps the session in memory only (the default): it is gone when the process ends.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private volatile Session? _session;

    /// <summary>Creates an empty store.</summary>
    public InMemorySessionStore()
    {
    }

    /// <summary>Creates a store that starts with a session.</summary>
    /// <param name="session">The session.</param>
    public InMemorySessionStore(Session? session) => _session = session;

    /// <inheritdoc/>
    public ValueTask<Session?> LoadAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_session);

    /// <inheritdoc/>
    public ValueTask SaveAsync(Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
        return default;
    }

    /// <inheritdoc/>
    public ValueTask ClearAsync(CancellationToken cancellationToken = default)
    {
        _session = null;
        return default;
    }
}
