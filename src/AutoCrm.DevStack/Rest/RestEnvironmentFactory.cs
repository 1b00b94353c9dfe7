using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Security;

namespace AutoCrm.DevStack.Rest;

/// <summary>Builds the <see cref="RestEnvironment"/> from the host's services.</summary>
internal static class RestEnvironmentFactory
{
    public static RestEnvironment Create(IServiceProvider services)
    {
        var connections = services.GetRequiredService<DatabaseConnections>();
        var settings = services.GetRequiredService<DevStackSettings>();
        var jwt = services.GetRequiredService<JwtService>();
        return new RestEnvironment
        {
            Authenticator = connections.Authenticator,
            Admin = connections.Admin,
            Schemas = settings.Schemas,
            ExtraSearchPath = settings.ExtraSearchPath,
            MaxRows = () => settings.MaxRows,
            ValidateJwt = token => Map(jwt.Validate(token)),
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
        };
    }

    internal static RestJwtResult Map(JwtValidationResult result) => result.Failure switch
    {
        JwtFailure.None when result.Claims is { } claims => RestJwtResult.Valid(claims),
        JwtFailure.Expired => RestJwtResult.Invalid("PGRST303", result.Message ?? "JWT expired"),
        JwtFailure.NotYetValid => RestJwtResult.Invalid("PGRST303", result.Message ?? "JWT not yet valid"),
        JwtFailure.Missing => RestJwtResult.Invalid("PGRST301", "Empty JWT is sent in Authorization header"),
        _ => RestJwtResult.Invalid("PGRST301", result.Message ?? "JWT cryptographic operation failed"),
    };
}
