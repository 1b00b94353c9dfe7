namespace AutoCrm.ConsoleHost.Demo;

/// <summary>Where the demo's live events come from.</summary>
internal interface IDemoFeed : IAsyncDisposable
{
    /// <summary>For the display and summary.</summary>
    string Description { get; }
}
