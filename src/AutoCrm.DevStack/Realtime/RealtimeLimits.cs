namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// What one Realtime client (websocket) may use, so that no client can slow the others down. The channel and join limits
/// are Supabase Realtime's (with its defaults and error replies); the binding and filter limits are the DevStack's own.
/// </summary>
/// <example>
/// <code>
/// await using var stack = await DevStackServer.StartAsync(new DevStackOptions
/// {
///     RealtimeLimits = new RealtimeLimits { MaxChannelsPerClient = 500 },
/// });
/// </code>
/// </example>
public sealed record RealtimeLimits
{
    /// <summary>
    /// Channels one socket may have joined at once (Supabase's <c>max_channels_per_client</c>, 100). A join over it is refused
    /// with <c>ChannelRateLimitReached: Too many channels</c>; the socket stays open.
    /// </summary>
    public int MaxChannelsPerClient { get; init; } = 100;

    /// <summary>
    /// Joins one socket may send per second, sustained (Supabase's <c>max_joins_per_second</c>, 100, which Supabase counts per
    /// project; counted per socket here, so one client cannot lock the others out). Bursts up to the same number are allowed.
    /// A join over it is refused with <c>ClientJoinRateLimitReached: Too many joins per second</c> and the socket is closed.
    /// </summary>
    public int MaxJoinsPerSecond { get; init; } = 100;

    /// <summary>
    /// postgres_changes bindings one channel may ask for. A join with more is refused with
    /// <c>TooManyBindings: …</c> (Supabase Realtime has no such limit; it bounds the dispatcher's work per change).
    /// </summary>
    public int MaxBindingsPerChannel { get; init; } = 100;

    /// <summary>
    /// Filter work one socket may cause per database change, in steps: a comparison is one step (plus one per 64 characters
    /// of text compared), a like/ilike/match/imatch pattern one per automaton step (at most (text length + 1) × pattern size).
    /// This work runs on the subscriber's own socket after row-level security, never in the shared dispatcher; a change that
    /// would need more closes the channels it could not finish with a <c>system</c> error.
    /// </summary>
    public long MaxFilterWorkPerChange { get; init; } = 200_000;

    /// <summary>The largest like/ilike/match/imatch pattern, in automaton states; larger ones are refused when the channel joins.</summary>
    public int MaxPatternStates { get; init; } = 1_000;
}
