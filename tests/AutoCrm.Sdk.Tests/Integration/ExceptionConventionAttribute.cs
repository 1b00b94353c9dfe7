using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

[assembly: AutoCrm.Sdk.Tests.Integration.ExceptionConvention]

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// The public API review's convention test: over the whole test run (the integration tests against the DevStack and the
/// contract tests), no exception outside the <see cref="CrmException"/> family may leave a public SDK method, except the
/// two that mean a bug in the caller (<see cref="ArgumentNullException"/>, <see cref="ObjectDisposedException"/>).
/// Every public call runs in an <c>AutoCrm.Sdk</c> activity that records the type of the exception leaving it
/// (<c>exception.type</c>); this listener collects offenders and fails the test that is finishing.
/// See docs/sdk-conventions.md, "Checking the rule".
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ExceptionConventionAttribute : BeforeAfterTestAttribute
{
    private static readonly ConcurrentQueue<string> Violations = new();
    private static readonly ActivityListener Listener = Listen();

    /// <summary>How many public calls ended with an exception so far (to show the check sees failures at all).</summary>
    public static int FailuresSeen => Volatile.Read(ref s_failuresSeen);

    private static int s_failuresSeen;

    public override void Before(MethodInfo methodUnderTest, IXunitTest test) => GC.KeepAlive(Listener);

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        var offenders = new List<string>();
        while (Violations.TryDequeue(out var violation))
        {
            offenders.Add(violation);
        }

        if (offenders.Count > 0)
        {
            throw new XunitException("Exceptions outside the CrmException family left public SDK methods: " + string.Join("; ", offenders));
        }
    }

    /// <summary>Whether an exception type (by full name) may leave a public SDK method.</summary>
    public static bool IsAllowed(string typeName)
    {
        if (typeName is "System.ArgumentNullException" or "System.ObjectDisposedException")
        {
            return true;
        }

        return typeof(CrmException).Assembly.GetType(typeName) is { } type && typeof(CrmException).IsAssignableFrom(type);
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "AutoCrm.Sdk",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("exception.type") is string type)
                {
                    Interlocked.Increment(ref s_failuresSeen);
                    if (!IsAllowed(type))
                    {
                        Violations.Enqueue($"{activity.OperationName} threw {type}");
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
