namespace AutoCrm.DevStack.Rest;

/// <summary>How the arguments of an RPC call arrive, which decides the overloads it can call.</summary>
internal enum CallBody
{
    /// <summary>GET/HEAD: arguments in the query string.</summary>
    Query,

    /// <summary>POST with a JSON body (the default): its keys name the arguments, or it is the one unnamed json argument.</summary>
    Json,

    /// <summary>POST <c>text/plain</c>: the body is the one unnamed text argument.</summary>
    Text,

    /// <summary>POST <c>text/xml</c>: the body is the one unnamed xml argument.</summary>
    Xml,

    /// <summary>POST <c>application/octet-stream</c>: the body is the one unnamed bytea argument.</summary>
    Binary,
}

/// <summary>RPC overload resolution: which function of a name the given argument names call, as PostgREST chooses.</summary>
internal static class FunctionResolver
{
    /// <summary>
    /// PostgREST's <c>findProc</c>: the overloads whose parameters the argument names fit (every required one given,
    /// no unknown one); failing those, a function taking the raw body as its one unnamed parameter.
    /// </summary>
    public static DbFunction Choose(SchemaSnapshot snapshot, string schemaName, string name, IReadOnlyList<DbFunction> candidates, IReadOnlySet<string> keys, CallBody body)
    {
        List<DbFunction>? matching = null, rawBody = null;
        foreach (var function in candidates)
        {
            if (Fits(function, keys, body))
            {
                (matching ??= []).Add(function);
            }
            else if (TakesRawBody(function, body))
            {
                (rawBody ??= []).Add(function);
            }
        }

        var chosen = matching ?? rawBody;
        if (chosen is [var single])
        {
            return single;
        }

        if (chosen is not null)
        {
            throw new RestException(300, "PGRST203",
                $"Could not choose the best candidate function between: {string.Join(", ", chosen.Select(f => $"{f.QualifiedName}({string.Join(", ", f.Parameters.Select(p => $"{p.Name} => {p.Type}"))})"))}",
                null,
                "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
        }

        throw NotFound(snapshot, schemaName, name, candidates, keys, body);
    }

    private static bool Fits(DbFunction function, IReadOnlySet<string> keys, CallBody body)
    {
        if (function.Parameters.Count == 0)
        {
            return keys.Count == 0 && body is not (CallBody.Text or CallBody.Xml or CallBody.Binary);
        }

        var required = 0;
        foreach (var key in keys)
        {
            if (!function.Parameters.Any(p => p.Name == key))
            {
                return false;
            }
        }

        foreach (var parameter in function.Parameters)
        {
            if (parameter.Required)
            {
                if (!keys.Contains(parameter.Name))
                {
                    return false;
                }

                required++;
            }
        }

        return required <= keys.Count;
    }

    private static bool TakesRawBody(DbFunction function, CallBody body) =>
        function.TakesOnePositional && (body, function.Parameters[0].Type) is
            (CallBody.Json, "json" or "jsonb") or (CallBody.Text, "text") or (CallBody.Xml, "xml") or (CallBody.Binary, "bytea");

    private static RestException NotFound(SchemaSnapshot snapshot, string schemaName, string name, IReadOnlyList<DbFunction> candidates, IReadOnlySet<string> keys, CallBody body)
    {
        var qualified = $"{schemaName}.{name}";
        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        var rawOnly = body is CallBody.Text or CallBody.Xml or CallBody.Binary;
        var withParameters = sorted.Count == 0
            ? " without parameters"
            : $" with parameter{(sorted.Count > 1 ? "s" : "")} {string.Join(", ", sorted)}";
        var message = $"Could not find the function {qualified}"
            + (rawOnly ? "" : sorted.Count == 0 ? " without parameters" : $"({string.Join(", ", sorted)})")
            + " in the schema cache";
        var details = $"Searched for the function {qualified}" + body switch
        {
            CallBody.Text => " with a single unnamed text parameter",
            CallBody.Xml => " with a single unnamed xml parameter",
            CallBody.Binary => " with a single unnamed bytea parameter",
            CallBody.Json => withParameters + " or with a single unnamed json/jsonb parameter",
            _ => withParameters,
        } + ", but no matches were found in the schema cache.";
        string? hint = null;
        if (!rawOnly && candidates.Count > 0)
        {
            var close = NameSuggestions.Closest(candidates.Select(f => ParameterList(f.Parameters.Select(p => p.Name))), ParameterList(sorted), loose: true);
            hint = close is null ? null : $"Perhaps you meant to call the function {qualified}{close}";
        }
        else if (!rawOnly)
        {
            var close = NameSuggestions.Closest(snapshot.Functions.Keys.Where(k => k.Schema == schemaName).Select(k => k.Name), name);
            hint = close is null ? null : $"Perhaps you meant to call the function {schemaName}.{close}";
        }

        return new RestException(404, "PGRST202", message, details, hint);
    }

    /// <summary>Parameter names as PostgREST compares them for a hint: sorted, <c>(a, b)</c>.</summary>
    private static string ParameterList(IEnumerable<string> names) => "(" + string.Join(", ", names.Order(StringComparer.Ordinal)) + ")";
}
