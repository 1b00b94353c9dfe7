namespace AutoCrm.DevStack.Rest;

/// <summary>PostgREST's <c>db-schemas</c> value: a comma-separated list of schema names, the first the default.</summary>
internal static class ExposedSchemas
{
    /// <summary>The names of <paramref name="text"/>, trimmed and deduplicated; null when it names none or a system schema.</summary>
    public static IReadOnlyList<string>? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var names = new List<string>();
        foreach (var part in text.Split(','))
        {
            var name = part.Trim();
            // PostgREST refuses to expose the catalogs: they would leak every object's definition.
            if (name.Length == 0 || name is "pg_catalog" or "information_schema")
            {
                return null;
            }

            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        return names;
    }
}
