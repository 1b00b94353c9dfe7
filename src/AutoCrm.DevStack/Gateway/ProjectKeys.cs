namespace AutoCrm.DevStack.Gateway;

/// <summary>The project's API keys: legacy JWTs and the opaque <c>sb_</c> keys that stand for them (docs/protocols.md#project-keys).</summary>
internal sealed record ProjectKeys(string AnonKey, string ServiceRoleKey, string PublishableKey, string SecretKey)
{
    /// <summary>The JWT a valid API key stands for, or null when <paramref name="apiKey"/> is not one of the project's keys.</summary>
    public string? Resolve(string? apiKey)
    {
        if (apiKey is null)
        {
            return null;
        }

        if (apiKey == AnonKey || apiKey == ServiceRoleKey)
        {
            return apiKey;
        }

        if (apiKey == PublishableKey)
        {
            return AnonKey;
        }

        return apiKey == SecretKey ? ServiceRoleKey : null;
    }
}
