using System.Text.Json.Nodes;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>The outcome of checking a bearer token, in PostgREST's terms.</summary>
internal sealed record RestJwtResult(bool IsValid, string? ErrorCode, string? ErrorMessage, JsonObject? Claims)
{
    public static RestJwtResult Valid(JsonObject claims) => new(true, null, null, claims);

    public static RestJwtResult Invalid(string code, string message) => new(false, code, message, null);
}

/// <summary>What the REST service needs from the rest of the DevStack (connections, settings, JWT checks).</summary>
internal sealed class RestEnvironment
{
    /// <summary>Pool logged in as <c>authenticator</c>; every request runs here with SET LOCAL ROLE.</summary>
    public required NpgsqlDataSource Authenticator { get; init; }

    /// <summary>Superuser pool: schema-cache queries and the <c>LISTEN pgrst</c> connection.</summary>
    public required NpgsqlDataSource Admin { get; init; }

    public IReadOnlyList<string> Schemas { get; init; } = ["public", "graphql_public"];

    public IReadOnlyList<string> ExtraSearchPath { get; init; } = ["public", "extensions"];

    public Func<int?> MaxRows { get; init; } = () => 1000;

    public string AnonRole { get; init; } = "anon";

    public required Func<string, RestJwtResult> ValidateJwt { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
