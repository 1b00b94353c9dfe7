namespace AutoCrm.DevStack.Rest;

/// <summary>RPC overload resolution: which function of a name the given argument names call, as PostgREST chooses.</summary>
internal static class FunctionResolver
{
    public static DbFunction Choose(SchemaSnapshot snapshot, string schemaName, string name, IReadOnlyList<DbFunction> candidates, HashSet<string> keys, bool isRead)
    {
        var named = candidates.Where(f => !f.IsSingleUnnamedJson
            && keys.All(k => f.Parameters.Any(p => p.Name == k))
            && f.Parameters.All(p => p.HasDefault || keys.Contains(p.Name))).ToList();
        if (named.Count == 0 && !isRead)
        {
            named = candidates.Where(f => f.IsSingleUnnamedJson).ToList();
        }

        if (named.Count == 0 && keys.Count == 0)
        {
            named = candidates.Where(f => f.Parameters.Count == 1 && f.Parameters[0].Name.Length == 0 && f.Parameters[0].HasDefault).ToList();
        }

        if (named.Count == 1)
        {
            return named[0];
        }

        if (named.Count > 1)
        {
            // Prefer the overload whose parameters are exactly the given keys.
            var exact = named.Where(f => f.Parameters.Count == keys.Count).ToList();
            if (exact.Count == 1)
            {
                return exact[0];
            }

            throw new RestException(300, "PGRST203",
                $"Could not choose the best candidate function between: {string.Join(", ", named.Select(f => $"{f.QualifiedName}({string.Join(", ", f.Parameters.Select(p => $"{p.Name} => {p.Type}"))})"))}",
                null,
                "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
        }

        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        var qualified = $"{schemaName}.{name}";
        var message = sorted.Count == 0
            ? $"Could not find the function {qualified} without parameters in the schema cache"
            : $"Could not find the function {qualified}({string.Join(", ", sorted)}) in the schema cache";
        var details = sorted.Count == 0
            ? $"Searched for the function {qualified} without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache."
            : $"Searched for the function {qualified} with parameters {string.Join(", ", sorted)} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.";
        string? hint = null;
        if (candidates.Count > 0)
        {
            var f = candidates[0];
            hint = $"Perhaps you meant to call the function {f.QualifiedName}({string.Join(", ", f.Parameters.Select(p => p.Name))})";
        }
        else
        {
            var close = NameSuggestions.Closest(snapshot.Functions.Keys.Where(k => k.Schema == schemaName).Select(k => k.Name), name);
            if (close is not null)
            {
                hint = $"Perhaps you meant to call the function {schemaName}.{close}";
            }
        }

        throw new RestException(404, "PGRST202", message, details, hint);
    }
}
