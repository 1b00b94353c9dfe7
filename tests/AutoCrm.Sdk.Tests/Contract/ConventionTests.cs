using System.Reflection;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class ConventionTests
{
    private static readonly Assembly Sdk = typeof(CrmClient).Assembly;

    /// <summary>Public models are the SDK's public records and enums (clients, stores and builders are classes).
    /// Realtime types are checked by the realtime tests (they use their own wire context).</summary>
    private static IEnumerable<Type> PublicModels() => Sdk.GetExportedTypes().Where(t =>
        t.Namespace != "AutoCrm.Sdk.Realtime" &&
        !t.IsGenericTypeDefinition && !typeof(Exception).IsAssignableFrom(t) &&
        (t.IsEnum || t.GetMethod("<Clone>$") is not null));

    [Fact]
    public void Every_public_model_is_registered_in_the_json_context()
    {
        var missing = PublicModels().Where(t => CrmJsonContext.Default.GetTypeInfo(t) is null).Select(t => t.FullName).ToList();

        Assert.True(missing.Count == 0, "Not in CrmJsonContext: " + string.Join(", ", missing));
        Assert.True(PublicModels().Count() > 25);
    }

    [Fact]
    public void Public_models_are_sealed_records_with_init_only_properties()
    {
        foreach (var type in PublicModels().Where(t => !t.IsEnum))
        {
            Assert.True(type.IsSealed, type.FullName);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null))
            {
                var isInit = property.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit");
                Assert.True(isInit, $"{type.Name}.{property.Name} must be init-only");
            }
        }
    }

    [Fact]
    public void Sub_clients_have_no_public_constructor()
    {
        foreach (var type in Sdk.GetExportedTypes().Where(t => t.Name.EndsWith("Client", StringComparison.Ordinal) && t != typeof(CrmClient)))
        {
            Assert.Empty(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        }
    }

    [Fact]
    public void Async_methods_take_a_cancellation_token_last()
    {
        var offenders = Sdk.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal) && m.Name != "GetAsyncEnumerator" && m.Name != "ListAsync")
            .Where(m => m.GetParameters() is var p && (p.Length == 0 || p[^1].ParameterType != typeof(CancellationToken)))
            .Select(m => m.DeclaringType!.Name + "." + m.Name)
            .ToList();

        Assert.True(offenders.Count == 0, string.Join(", ", offenders));
    }
}
