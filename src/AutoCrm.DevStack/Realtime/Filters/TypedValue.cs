using System.Globalization;

namespace AutoCrm.DevStack.Realtime.Filters;

/// <summary>A value parsed by its PostgreSQL type so that filters compare like the database would.</summary>
internal readonly record struct TypedValue(int Kind, decimal Number, double Real, DateTimeOffset Time, Guid Uuid, string? Text) : IComparable<TypedValue>
{
    private const int NumberKind = 1, RealKind = 2, TimeKind = 3, UuidKind = 4, TextKind = 5, BoolKind = 6;

    public static TypedValue True { get; } = new(BoolKind, 1, 0, default, default, null);

    public static TypedValue False { get; } = new(BoolKind, 0, 0, default, default, null);

    public static bool TryParse(string typeName, string text, out TypedValue value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (typeName)
        {
            case "int2" or "int4" or "int8" or "numeric" or "oid" or "money":
                var ok = decimal.TryParse(text, NumberStyles.Float, inv, out var d);
                value = new TypedValue(NumberKind, d, 0, default, default, null);
                return ok;
            case "float4" or "float8":
                var okf = double.TryParse(text, NumberStyles.Float, inv, out var f);
                value = new TypedValue(RealKind, 0, f, default, default, null);
                return okf;
            case "bool":
                var b = text.ToLowerInvariant() switch
                {
                    "t" or "true" or "yes" or "on" or "1" or "y" => (bool?)true,
                    "f" or "false" or "no" or "off" or "0" or "n" => false,
                    _ => null,
                };
                value = b == true ? True : False;
                return b is not null;
            case "timestamptz" or "timestamp" or "date":
                var okt = DateTimeOffset.TryParse(text, inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t);
                if (!okt)
                {
                    // PostgreSQL prints short offsets ("+00"); .NET wants "+00:00".
                    okt = DateTimeOffset.TryParse(text + ":00", inv, DateTimeStyles.AssumeUniversal, out t);
                }

                value = new TypedValue(TimeKind, 0, 0, t, default, null);
                return okt;
            case "uuid":
                var oku = Guid.TryParse(text, out var g);
                value = new TypedValue(UuidKind, 0, 0, default, g, null);
                return oku;
            default:
                value = new TypedValue(TextKind, 0, 0, default, default, text);
                return true;
        }
    }

    public int CompareTo(TypedValue other) => Kind switch
    {
        NumberKind or BoolKind => Number.CompareTo(other.Number),
        RealKind => Real.CompareTo(other.Real),
        TimeKind => Time.CompareTo(other.Time),
        UuidKind => Uuid.CompareTo(other.Uuid), // unsigned field by field: the order of the canonical text, as PostgreSQL's
        _ => string.CompareOrdinal(Text, other.Text),
    };
}
