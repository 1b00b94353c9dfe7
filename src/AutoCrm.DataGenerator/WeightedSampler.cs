namespace AutoCrm.DataGenerator;

/// <summary>Draws an index in [0, n) with fixed weights (binary search over the cumulative weights).</summary>
public sealed class WeightedSampler
{
    private readonly double[] _cumulative;

    /// <summary>A sampler over the given (non-negative, not all zero) weights.</summary>
    /// <param name="weights">One weight per index.</param>
    public WeightedSampler(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfZero(weights.Count);
        _cumulative = new double[weights.Count];
        double sum = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(weights[i]);
            sum += weights[i];
            _cumulative[i] = sum;
        }

        ArgumentOutOfRangeException.ThrowIfZero(sum);
        for (var i = 0; i < _cumulative.Length; i++)
        {
            _cumulative[i] /= sum;
        }
    }

    /// <summary>How many indexes it draws from.</summary>
    public int Count => _cumulative.Length;

    /// <summary>A Zipf-like sampler: index k (0-based) has weight 1 / (k + 1)^<paramref name="exponent"/>, so index 0 is the most frequent.</summary>
    /// <param name="count">How many ranks.</param>
    /// <param name="exponent">The skew (1 is classic Zipf; smaller is flatter).</param>
    public static WeightedSampler Zipf(int count, double exponent)
    {
        var weights = new double[count];
        for (var k = 0; k < count; k++)
        {
            weights[k] = 1.0 / Math.Pow(k + 1, exponent);
        }

        return new WeightedSampler(weights);
    }

    /// <summary>The probability of index <paramref name="index"/>.</summary>
    /// <param name="index">The index.</param>
    public double Probability(int index) => _cumulative[index] - (index == 0 ? 0 : _cumulative[index - 1]);

    /// <summary>Draws an index.</summary>
    /// <param name="random">The random stream.</param>
    public int Next(ref SeededRandom random) => IndexOf(random.NextDouble());

    /// <summary>The index at cumulative probability <paramref name="u"/> in [0, 1).</summary>
    /// <param name="u">A uniform value.</param>
    public int IndexOf(double u)
    {
        var index = Array.BinarySearch(_cumulative, u);
        index = index >= 0 ? index + 1 : ~index;
        return Math.Min(index, _cumulative.Length - 1);
    }
}
