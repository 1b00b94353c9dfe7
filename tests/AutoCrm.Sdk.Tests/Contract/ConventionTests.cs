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
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal) && m.Name is not ("GetAsyncEnumerator" or "DisposeAsync")) // IAsyncEnumerable's and IAsyncDisposable's shapes
            .Where(m => m.GetParameters() is var p && (p.Length == 0 || p[^1].ParameterType != typeof(CancellationToken)))
            .Select(m => m.DeclaringType!.Name + "." + m.Name)
            .ToList();

        Assert.True(offenders.Count == 0, string.Join(", ", offenders));
    }

    /// <summary>The typed clients a consumer fakes (realtime has its own rules; the REST builder is tested against a
    /// server, see docs/testing.md).</summary>
    private static IEnumerable<Type> FakeableClients() => Sdk.GetExportedTypes().Where(t =>
        (t.Name.EndsWith("Client", StringComparison.Ordinal) && t.Namespace != "AutoCrm.Sdk.Realtime" && t != typeof(Rest.RestClient))
        || t == typeof(CrmClient));

    [Fact]
    public void Clients_can_be_faked_with_a_protected_constructor_and_virtual_members()
    {
        Assert.True(FakeableClients().Count() >= 6);
        foreach (var type in FakeableClients())
        {
            Assert.False(type.IsSealed, type.Name + " is sealed");
            Assert.NotNull(type.GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is { IsFamily: true } ctor ? ctor : null);
            var notVirtual = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsVirtual && m.Name != "Dispose" && m.Name != "DisposeAsync")
                .Select(m => type.Name + "." + m.Name)
                .ToList();
            Assert.True(notVirtual.Count == 0, "Not virtual: " + string.Join(", ", notVirtual));
        }
    }

    [Fact]
    public void Every_listing_returns_the_one_pageable_shape()
    {
        var lists = Sdk.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.StartsWith("List", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(lists);
        Assert.All(lists, m => Assert.True(
            m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(CrmPageable<>),
            $"{m.DeclaringType!.Name}.{m.Name} returns {m.ReturnType.Name}"));
    }
}
