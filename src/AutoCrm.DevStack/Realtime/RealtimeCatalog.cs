using System.Globalization;
using AutoCrm.DevStack.Realtime.Filters;
using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>Checks postgres_changes bindings against the publication and the tables' columns.</summary>
internal sealed class RealtimeCatalog(NpgsqlDataSource dataSource, string publication)
{
    private const string ColumnsSql = """
        select pt.tablename::text, a.attname::text, t.typname::text,
               case when exists (select 1 from pg_roles where rolname = $3)
                    then has_column_privilege($3, c.oid, a.attnum, 'SELECT') else false end
        from pg_publication_tables pt
        join pg_namespace n on n.nspname = pt.schemaname
        join pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        join pg_type t on t.oid = a.atttypid
        where pt.pubname = $1 and pt.schemaname = $2
        """;

    /// <summary>
    /// Null when every binding can be subscribed; otherwise the system error message. As Realtime's subscription check, a
    /// filter may only name a column the subscriber's <paramref name="role"/> may select, and its values must suit the
    /// column's type (each filter is prepared for that type here: values parsed, patterns compiled).
    /// </summary>
    public async Task<string?> ValidateAsync(IReadOnlyList<PostgresBinding> bindings, string role, int maxPatternStates, CancellationToken cancellationToken)
    {
        foreach (var schemaBindings in bindings.GroupBy(b => b.Schema, StringComparer.Ordinal))
        {
            var tables = new Dictionary<string, Dictionary<string, (string Type, bool Selectable)>>(StringComparer.Ordinal);
            await using (var command = dataSource.CreateCommand(ColumnsSql))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = publication });
                command.Parameters.Add(new NpgsqlParameter { Value = schemaBindings.Key });
                command.Parameters.Add(new NpgsqlParameter { Value = role });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var table = reader.GetString(0);
                    if (!tables.TryGetValue(table, out var columns))
                    {
                        tables[table] = columns = new(StringComparer.Ordinal);
                    }

                    columns[reader.GetString(1)] = (reader.GetString(2), reader.GetBoolean(3));
                }
            }

            foreach (var binding in schemaBindings)
            {
                if (binding.Table is null ? tables.Count == 0 : !tables.ContainsKey(binding.Table))
                {
                    return string.Create(
                        CultureInfo.InvariantCulture,
                        $"Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: {binding.Event}, schema: {binding.Schema}, table: {binding.Table ?? "*"}, filters: [{string.Join(", ", binding.Filters.Select(f => f.Column))}]]");
                }

                if (binding.Table is null)
                {
                    continue;
                }

                var columns = tables[binding.Table];
                foreach (var filter in binding.Filters)
                {
                    if (!columns.TryGetValue(filter.Column, out var column))
                    {
                        return $"Error parsing `filter` params: column `{filter.Column}` does not exist in {binding.Schema}.{binding.Table}";
                    }

                    if (!column.Selectable)
                    {
                        return $"Error parsing `filter` params: invalid column for filter {filter.Column}";
                    }

                    if (filter.ValidateFor(column.Type, maxPatternStates) is { } error)
                    {
                        return "Error parsing `filter` params: " + error;
                    }
                }
            }
        }

        return null;
    }
}
