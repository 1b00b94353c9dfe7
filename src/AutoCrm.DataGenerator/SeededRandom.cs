using System.Numerics;
using System.Runtime.CompilerServices;

namespace AutoCrm.DataGenerator;

/// <summary>
/// A small, fast, reproducible random stream (xoshiro256**, seeded through SplitMix64). Every generated thing draws
/// from a stream keyed by (seed, purpose, index), so ticket 734 512 is the same whatever order, batch size or number
/// of threads produced it, and an extension's stream never shifts the core data.
/// </summary>
public struct SeededRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>A stream for one purpose and index under a seed.</summary>
    /// <param name="seed">The data set's seed (<see cref="CrmDataOptions.Seed"/>).</param>
    /// <param name="purpose">What the stream is for (e.g. <c>"ticket"</c>); different purposes never share numbers.</param>
    /// <param name="index">Which item (e.g. the ticket's index).</param>
    public SeededRandom(long seed, string purpose, long index)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        var state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ Fnv1a(purpose) ^ unchecked((ulong)index * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix(ref state);
        _s1 = SplitMix(ref state);
        _s2 = SplitMix(ref state);
        _s3 = SplitMix(ref state);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, <paramref name="maxExclusive"/>).</summary>
    /// <param name="maxExclusive">The exclusive upper bound (positive).</param>
    public int Next(int maxExclusive) => maxExclusive <= 1 ? 0 : (int)((NextUInt64() >> 33) * (ulong)maxExclusive >> 31);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    /// <param name="min">The inclusive lower bound.</param>
    /// <param name="maxExclusive">The exclusive upper bound.</param>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    /// <param name="probability">Between 0 and 1.</param>
    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>One element of a list, uniformly.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">A non-empty list.</param>
    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items[Next(items.Count)];
    }

    /// <summary>An exponentially distributed value with the given mean (waiting times between events).</summary>
    /// <param name="mean">The mean.</param>
    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>A random (version 4) UUID drawn from this stream.</summary>
    public Guid NextUuid4()
    {
        Span<byte> bytes = stackalloc byte[16];
        Unsafe.WriteUnaligned(ref bytes[0], NextUInt64());
        Unsafe.WriteUnaligned(ref bytes[8], NextUInt64());
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>A time-ordered (version 7) UUID for <paramref name="time"/>, its random part drawn from this stream (as the SDK makes ticket ids).</summary>
    /// <param name="time">The instant the id encodes.</param>
    public Guid NextUuid7(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        Unsafe.WriteUnaligned(ref bytes[8], NextUInt64());
        var millis = (ulong)time.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(millis >> (8 * (5 - i)));
        }

        var rand = NextUInt64();
        bytes[6] = (byte)(0x70 | (byte)(rand & 0x0F));
        bytes[7] = (byte)(rand >> 8);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return hash;
    }
}
