using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AutoCrm.Sdk.Internal;

/// <summary>The SDK's <see cref="ActivitySource"/> and <see cref="Meter"/>, both named <c>AutoCrm.Sdk</c>.</summary>
internal static class CrmTelemetry
{
    public const string Name = "AutoCrm.Sdk";

    private static readonly string Version =
        typeof(CrmTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly ActivitySource ActivitySource = new(Name, Version);

    public static readonly Meter Meter = new(Name, Version);

    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "autocrm.sdk.request.duration", unit: "s", description: "Duration of HTTP requests the SDK sends, retries included.");

    public static readonly Counter<long> TokenRefreshes = Meter.CreateCounter<long>(
        "autocrm.sdk.auth.refreshes", description: "Access-token refreshes, by outcome.");

    /// <summary>Starts the span of one public call (null when nobody listens).</summary>
    public static Activity? StartCall(string operation)
    {
        var activity = ActivitySource.StartActivity(operation, ActivityKind.Client);
        activity?.SetTag("autocrm.operation", operation);
        return activity;
    }

    public static void RecordFailure(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity.SetTag("error.type", exception is CrmException crm && crm.Code is not null ? crm.Code : exception.GetType().FullName);
        activity.SetTag("exception.type", exception.GetType().FullName);
    }

    /// <summary>
    /// For an exception filter on a public method: <c>catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))</c>.
    /// Records the exception that leaves the call (cancellation excepted) and never catches it, so the stack trace stays
    /// whole. The tests listen for the recorded type to hold the rule that only <see cref="CrmException"/>s escape.
    /// </summary>
    public static bool Failed(Activity? activity, Exception exception)
    {
        if (exception is not OperationCanceledException)
        {
            RecordFailure(activity, exception);
        }

        return false;
    }
}
