using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Reports;

/// <summary>
/// What a time series measures (docs/reports.md). An extensible enumeration: the known metrics are static properties, and
/// a metric a newer database offers can be asked for with <c>new ReportMetric("its_name")</c>.
/// </summary>
[JsonConverter(typeof(ReportMetricConverter))]
public readonly struct ReportMetric : IEquatable<ReportMetric>
{
    private readonly string? _value;

    /// <summary>Creates a metric from its database spelling.</summary>
    /// <param name="value">The spelling, e.g. <c>tickets_created</c>.</param>
    public ReportMetric(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>Tickets created (a count).</summary>
    public static ReportMetric TicketsCreated { get; } = new("tickets_created");

    /// <summary>Solves (a count; a ticket solved twice counts twice).</summary>
    public static ReportMetric TicketsSolved { get; } = new("tickets_solved");

    /// <summary>Reopens (a count).</summary>
    public static ReportMetric Reopens { get; } = new("reopens");

    /// <summary>Median first reply time, calendar minutes.</summary>
    public static ReportMetric FirstReplyMedian { get; } = new("first_reply_median");

    /// <summary>90th percentile of the first reply time, calendar minutes.</summary>
    public static ReportMetric FirstReplyP90 { get; } = new("first_reply_p90");

    /// <summary>Median first reply time, business minutes.</summary>
    public static ReportMetric FirstReplyMedianBusiness { get; } = new("first_reply_median_business");

    /// <summary>Median next reply time, calendar minutes.</summary>
    public static ReportMetric NextReplyMedian { get; } = new("next_reply_median");

    /// <summary>Median full resolution time (creation to each solve), calendar minutes.</summary>
    public static ReportMetric ResolutionMedian { get; } = new("resolution_median");

    /// <summary>90th percentile of the full resolution time, calendar minutes.</summary>
    public static ReportMetric ResolutionP90 { get; } = new("resolution_p90");

    /// <summary>Median full resolution time, business minutes.</summary>
    public static ReportMetric ResolutionMedianBusiness { get; } = new("resolution_median_business");

    /// <summary>Satisfied ratings / ratings × 100, by the period of the rated solve.</summary>
    public static ReportMetric CsatPercent { get; } = new("csat_percent");

    /// <summary>The database spelling.</summary>
    public string Value => _value ?? "";

    /// <summary>Whether the metric is a count (0 in an empty bucket) rather than a median, percentile or percentage (null there).</summary>
    public bool IsCount => this == TicketsCreated || this == TicketsSolved || this == Reopens;

    /// <summary>Whether two metrics are the same.</summary>
    /// <param name="left">One metric.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(ReportMetric left, ReportMetric right) => left.Equals(right);

    /// <summary>Whether two metrics differ.</summary>
    /// <param name="left">One metric.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(ReportMetric left, ReportMetric right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(ReportMetric other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReportMetric other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>The database spelling.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>Reads and writes a <see cref="ReportMetric"/> as its JSON string.</summary>
internal sealed class ReportMetricConverter : JsonConverter<ReportMetric>
{
    public override ReportMetric Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new ReportMetric(reader.GetString()!) : throw new JsonException("A report metric is a string.");

    public override void Write(Utf8JsonWriter writer, ReportMetric value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
