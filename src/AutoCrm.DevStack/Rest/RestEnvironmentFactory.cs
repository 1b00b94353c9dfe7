namespace AutoCrm.DevStack.Rest;

/// <summary>Builds the <see cref="RestEnvironment"/> from the host's services.</summary>
internal static class RestEnvironmentFactory
{
    // Until the host's DatabaseConnections/JwtService/DevStackSettings land, an environment must be registered explicitly.
    public static RestEnvironment Create(IServiceProvider services) =>
        throw new InvalidOperationException("Register a RestEnvironment before AddDevStackRest.");
}
