using System.Text.Json;
using AutoCrm.Sdk;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>
/// What a container platform or load balancer probes. <c>/healthz</c> (liveness) answers 200 while the process serves
/// requests and asks nothing of the CRM, so a Supabase outage never gets healthy hosts restarted. <c>/readyz</c>
/// (readiness) answers 200 only when the Supabase project answers with the configured key and has the migration this
/// build's SDK needs (<see cref="CrmSchema.MinimumMigration"/>), 503 otherwise, with the reason in a small JSON body.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    private const string ReadyTag = "ready";

    /// <summary>A probe waits this long for the CRM before reporting "not ready" (platforms probe every few seconds).</summary>
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(10);

    public static IServiceCollection AddAutoCrmHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<CrmReadinessCheck>("crm", tags: [ReadyTag], timeout: ReadinessTimeout);
        return services;
    }

    public static IEndpointRouteBuilder MapAutoCrmHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = static _ => false });
        endpoints.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReportAsync,
        });
        return endpoints;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"crm":{"status":"Unhealthy","description":"…"}}}</c>; descriptions are
    /// this app's own sentences (exception details go to the log only).</summary>
    private static async Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>
/// Ready when <c>deployment_status()</c> answers through the app's own client (its URL and anon key) and lists the SDK's
/// minimum migration among the applied ones (a project whose migrations were not applied by the Supabase CLI keeps no
/// history and counts as ready, as it does for the SDK's own check).
/// </summary>
internal sealed partial class CrmReadinessCheck(CrmBackend backend, ILogger<CrmReadinessCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        JsonElement status;
        try
        {
            status = await backend.Root.Rest.RpcGet("deployment_status").ToJsonAsync(cancellationToken);
        }
        catch (CrmException ex) when (ex.Code is "schema_version_mismatch" or "PGRST202" or "42883")
        {
            return NotApplied();
        }
        catch (CrmAuthException ex)
        {
            LogNotReady(logger, ex);
            return HealthCheckResult.Unhealthy("The Supabase project refused the configured key (AutoCrm__ApiKey: the project's anon key).");
        }
        catch (Exception ex) when (ex is CrmException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogNotReady(logger, ex);
            return HealthCheckResult.Unhealthy("The Supabase project did not answer (AutoCrm__Url); see the log.");
        }

        if (status.ValueKind == JsonValueKind.Object
            && status.TryGetProperty("migrations", out var migrations)
            && migrations.ValueKind == JsonValueKind.Array
            && !migrations.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.GetString() == CrmSchema.MinimumVersion))
        {
            return NotApplied();
        }

        return HealthCheckResult.Healthy($"The Supabase project answers and has migration {CrmSchema.MinimumMigration}.");
    }

    private static HealthCheckResult NotApplied() => HealthCheckResult.Unhealthy(
        $"The database is older than this app expects: migration {CrmSchema.MinimumMigration} is not applied (supabase db push).");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: the CRM check failed")]
    private static partial void LogNotReady(ILogger logger, Exception exception);
}
