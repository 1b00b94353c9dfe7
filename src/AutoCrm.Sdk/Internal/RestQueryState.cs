using System.Collections.Immutable;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Internal;

internal enum RestVerb
{
    Select,
    Insert,
    Upsert,
    Update,
    Delete,
    Rpc,
    RpcGet,
}

/// <summary>The immutable state behind a <see cref="RestQuery"/>; every builder call makes a copy with one change.</summary>
internal sealed record RestQueryState
{
    public required RestClient Client { get; init; }

    public required string Relation { get; init; }

    public required RestVerb Verb { get; init; }

    public string? Select { get; init; }

    public ImmutableList<KeyValuePair<string, string>> Filters { get; init; } = [];

    /// <summary>Order terms by embed prefix ("" for the top level).</summary>
    public ImmutableList<KeyValuePair<string, string>> Orders { get; init; } = [];

    /// <summary>limit/offset by embed prefix.</summary>
    public ImmutableDictionary<string, string> Paging { get; init; } = ImmutableDictionary<string, string>.Empty;

    public RestCount? Count { get; init; }

    public byte[]? Body { get; init; }

    public string? Columns { get; init; }

    public string? OnConflict { get; init; }

    public bool IgnoreDuplicates { get; init; }

    public bool MissingDefault { get; init; }

    public bool Retryable { get; init; }
}
