namespace AutoCrm.Sdk.Internal;

/// <summary>Supplies the bearer token for a request: the signed-in user's access token (refreshed when due),
/// a fixed token, or <see langword="null"/> for the project key. The realtime client uses it too.</summary>
internal interface IAccessTokenSource
{
    ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken);
}

/// <summary>A token that never changes (<see cref="CrmClient.ForUser"/>).</summary>
internal sealed class FixedAccessToken(string? token) : IAccessTokenSource
{
    public ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(token);
}
