using System.Diagnostics;

namespace AutoCrm.Sdk.AI.Internal;

/// <summary>Spans of the AI hooks, on the same <c>AutoCrm.Sdk</c> source as the rest of the SDK (one name to listen to).</summary>
internal static class AiTelemetry
{
    public static readonly ActivitySource Source = new("AutoCrm.Sdk");

    public static Activity? StartCall(string name) => Source.StartActivity(name, ActivityKind.Internal);

    /// <summary>An exception filter that records the failure and never catches.</summary>
    public static bool Failed(Activity? activity, Exception exception)
    {
        if (activity is null || exception is OperationCanceledException)
        {
            return false;
        }

        activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity.SetTag("error.type", exception is CrmException { Code: { } code } ? code : exception.GetType().FullName);
        activity.SetTag("exception.type", exception.GetType().FullName);
        return false;
    }
}
