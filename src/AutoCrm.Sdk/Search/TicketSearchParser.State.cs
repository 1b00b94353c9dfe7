using System.Globalization;
using System.Text.RegularExpressions;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

internal static partial class TicketSearchParser
{
    private static readonly TicketStatus[] AllStatuses = Enum.GetValues<TicketStatus>();
    private static readonly TicketPriority[] AllPriorities = Enum.GetValues<TicketPriority>();

    /// <summary>The filters built so far. Each clause narrows them; a clause that cannot be expressed is an error.</summary>
    private sealed class State(DateTimeOffset now)
    {
        private HashSet<TicketStatus>? _statuses;
        private HashSet<TicketPriority>? _priorities;
        private readonly List<string> _tagsAll = [];
        private readonly List<string> _tagsNone = [];
        private List<string>? _tagsAny;
        private readonly Dictionary<string, IReadOnlyList<string>> _fields = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<string>> _excludedFields = new(StringComparer.Ordinal);

        public TicketQuery Query { get; private set; } = new();

        public string? Apply(Clause clause)
        {
            if (!TrySplitValues(clause.Value, out var values, out var valueError))
            {
                return valueError;
            }

            if (clause.Key.StartsWith("field.", StringComparison.Ordinal))
            {
                return Field(clause, values);
            }

            return clause.Key switch
            {
                "status" => Status(clause, values),
                "priority" => Priority(clause, values),
                "tag" => Tag(clause, values),
                "queue" => Queue(clause, values),
                "assignee" => Assignee(clause, values),
                "requester" => Requester(clause, values),
                "created" or "updated" => Time(clause, values),
                "subject" => Subject(clause, values),
                _ => Metadata(clause, values),
            };
        }

        private string? Status(Clause clause, List<string> values)
        {
            if (OnlyColon(clause) is { } error)
            {
                return error;
            }

            var given = new HashSet<TicketStatus>();
            foreach (var value in values)
            {
                var status = AllStatuses.FirstOrDefault(s => Matches(EnumText.Get(s), value), (TicketStatus)(-1));
                if ((int)status < 0)
                {
                    return $"'{value}' is not a status; use {string.Join(", ", AllStatuses.Select(s => EnumText.Get(s)))}";
                }

                given.Add(status);
            }

            var set = clause.Negated ? AllStatuses.Where(s => !given.Contains(s)).ToHashSet() : given;
            _statuses = _statuses is null ? set : _statuses.Intersect(set).ToHashSet();
            if (_statuses.Count == 0)
            {
                return "No status is left: the status filters exclude each other";
            }

            Query = Query with { Statuses = AllStatuses.Where(_statuses.Contains).ToList() };
            return null;
        }

        private string? Priority(Clause clause, List<string> values)
        {
            if (clause.Operator != ":" && (values.Count != 1 || clause.Negated))
            {
                return $"'priority{clause.Operator}' takes one priority and cannot be negated, such as priority>=high";
            }

            var given = new HashSet<TicketPriority>();
            foreach (var value in values)
            {
                var priority = AllPriorities.FirstOrDefault(p => Matches(EnumText.Get(p), value), (TicketPriority)(-1));
                if ((int)priority < 0)
                {
                    return $"'{value}' is not a priority; use {string.Join(", ", AllPriorities.Select(p => EnumText.Get(p)))}";
                }

                given.Add(priority);
            }

            var pivot = given.First();
            HashSet<TicketPriority> set = clause.Operator switch
            {
                ">" => AllPriorities.Where(p => p > pivot).ToHashSet(),
                ">=" => AllPriorities.Where(p => p >= pivot).ToHashSet(),
                "<" => AllPriorities.Where(p => p < pivot).ToHashSet(),
                "<=" => AllPriorities.Where(p => p <= pivot).ToHashSet(),
                _ => clause.Negated ? AllPriorities.Where(p => !given.Contains(p)).ToHashSet() : given,
            };
            _priorities = _priorities is null ? set : _priorities.Intersect(set).ToHashSet();
            if (_priorities.Count == 0)
            {
                return "No priority is left: the priority filters exclude each other";
            }

            Query = Query with { Priorities = AllPriorities.Where(_priorities.Contains).ToList() };
            return null;
        }

        private string? Tag(Clause clause, List<string> values)
        {
            if (OnlyColon(clause) is { } error)
            {
                return error;
            }

            if (clause.Negated)
            {
                _tagsNone.AddRange(values.Where(v => !_tagsNone.Contains(v, StringComparer.Ordinal)));
                Query = Query with { TagsNone = [.. _tagsNone] };
            }
            else if (values.Count == 1)
            {
                if (!_tagsAll.Contains(values[0], StringComparer.Ordinal))
                {
                    _tagsAll.Add(values[0]);
                }

                Query = Query with { TagsAll = [.. _tagsAll] };
            }
            else
            {
                if (_tagsAny is not null)
                {
                    return "Only one tag list is allowed (tag:a,b means a or b); repeat tag: for tags that must all be there";
                }

                _tagsAny = [.. values.Distinct(StringComparer.Ordinal)];
                Query = Query with { TagsAny = _tagsAny };
            }

            return null;
        }

        private string? Queue(Clause clause, List<string> values)
        {
            if (Single(clause, values, "queue:general, queue:none") is { } error)
            {
                return error;
            }

            if (Query.QueueId is not null || Query.QueueSlug is not null || Query.Unqueued)
            {
                return "Only one queue filter is allowed";
            }

            var value = values[0];
            Query = value.Equals("none", StringComparison.OrdinalIgnoreCase) ? Query with { Unqueued = true }
                : Guid.TryParseExact(value, "D", out var id) ? Query with { QueueId = id }
                : Query with { QueueSlug = value };
            return null;
        }

        private string? Assignee(Clause clause, List<string> values)
        {
            if (Single(clause, values, "assignee:me, assignee:none, assignee:bob@example.com") is { } error)
            {
                return error;
            }

            if (Query.AssigneeId is not null || Query.AssigneeEmail is not null || Query.AssignedToMe || Query.Unassigned)
            {
                return "Only one assignee filter is allowed";
            }

            var value = values[0];
            if (value.Equals("me", StringComparison.OrdinalIgnoreCase))
            {
                Query = Query with { AssignedToMe = true };
            }
            else if (value.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                Query = Query with { Unassigned = true };
            }
            else if (Guid.TryParseExact(value, "D", out var id))
            {
                Query = Query with { AssigneeId = id };
            }
            else if (LooksLikeEmail(value))
            {
                Query = Query with { AssigneeEmail = value };
            }
            else
            {
                return $"'{value}' is not an assignee; use me, none, an email or a user id";
            }

            return null;
        }

        private string? Requester(Clause clause, List<string> values)
        {
            if (Single(clause, values, "requester:me, requester:carol@customer.demo") is { } error)
            {
                return error;
            }

            if (Query.RequesterId is not null || Query.RequesterEmail is not null || Query.RequestedByMe)
            {
                return "Only one requester filter is allowed";
            }

            var value = values[0];
            if (value.Equals("me", StringComparison.OrdinalIgnoreCase))
            {
                Query = Query with { RequestedByMe = true };
            }
            else if (Guid.TryParseExact(value, "D", out var id))
            {
                Query = Query with { RequesterId = id };
            }
            else if (LooksLikeEmail(value))
            {
                Query = Query with { RequesterEmail = value };
            }
            else
            {
                return $"'{value}' is not a requester; use me, an email or a user id";
            }

            return null;
        }

        private string? Subject(Clause clause, List<string> values)
        {
            if (Single(clause, values, "subject:\"refund request\"") is { } error)
            {
                return error;
            }

            if (Query.SubjectContains is not null)
            {
                return "Only one subject filter is allowed";
            }

            Query = Query with { SubjectContains = values[0] };
            return null;
        }

        private string? Metadata(Clause clause, List<string> values)
        {
            if (Single(clause, values, "metadata:'{\"plan\":\"pro\"}'") is { } error)
            {
                return error;
            }

            if (Query.MetadataContains is not null)
            {
                return "Only one metadata filter is allowed";
            }

            try
            {
                Query = Query with { MetadataContains = CrmMetadata.Parse(values[0]) };
                return null;
            }
            catch (CrmValidationException)
            {
                return "metadata takes a JSON object in quotes, such as metadata:'{\"plan\":\"pro\"}'";
            }
        }

        private string? Field(Clause clause, List<string> values)
        {
            if (OnlyColon(clause) is { } error)
            {
                return error;
            }

            var name = clause.Key["field.".Length..];
            var target = clause.Negated ? _excludedFields : _fields;
            if (target.ContainsKey(name))
            {
                return $"field.{name} is given twice; list its values with commas (field.{name}:a,b)";
            }

            target[name] = [.. values.Distinct(StringComparer.Ordinal)];
            Query = clause.Negated
                ? Query with { ExcludedFields = new Dictionary<string, IReadOnlyList<string>>(_excludedFields, StringComparer.Ordinal) }
                : Query with { Fields = new Dictionary<string, IReadOnlyList<string>>(_fields, StringComparer.Ordinal) };
            return null;
        }

        // created>2026-01-01 (after that day), created>=2026-01-01, created<2026-01-01, created<=…, created:2026-01-01 (that
        // day); a timestamp instead of a date; or a relative age: updated<7d = less than 7 days ago, updated>7d = longer ago.
        private string? Time(Clause clause, List<string> values)
        {
            var key = clause.Key;
            if (clause.Negated || values.Count != 1)
            {
                return $"'{key}' takes one date, timestamp or age and cannot be negated, such as {key}>2026-01-01 or {key}<7d";
            }

            var value = values[0];
            DateTimeOffset? from = null, to = null;
            if (RelativeAge().Match(value) is { Success: true } age)
            {
                var amount = int.Parse(age.Groups["n"].Value, CultureInfo.InvariantCulture);
                if (amount > 100_000)
                {
                    return $"'{value}' is too long ago";
                }

                var at = age.Groups["unit"].Value.ToLowerInvariant() switch
                {
                    "h" => now.AddHours(-amount),
                    "d" => now.AddDays(-amount),
                    "w" => now.AddDays(-7.0 * amount),
                    "mo" => now.AddMonths(-amount),
                    _ => now.AddYears(-Math.Min(amount, 9000)),
                };
                switch (clause.Operator)
                {
                    case "<" or "<=":
                        from = at;
                        break;
                    case ">" or ">=":
                        to = at;
                        break;
                    default:
                        return $"An age takes < or >: {key}<{value} (newer than that) or {key}>{value} (older)";
                }
            }
            else if (TryDate(value, out var day))
            {
                var next = day.AddDays(1);
                (from, to) = clause.Operator switch
                {
                    ">" => (next, (DateTimeOffset?)null),
                    ">=" => (day, null),
                    "<" => (null, day),
                    "<=" => (null, next),
                    _ => ((DateTimeOffset?)day, (DateTimeOffset?)next),
                };
            }
            else if (TryTimestamp(value, out var instant))
            {
                var after = instant.AddTicks(10); // timestamps are stored to the microsecond
                (from, to) = clause.Operator switch
                {
                    ">" => (after, (DateTimeOffset?)null),
                    ">=" => (instant, null),
                    "<" => (null, instant),
                    "<=" => (null, after),
                    _ => ((DateTimeOffset?)instant, (DateTimeOffset?)after),
                };
            }
            else
            {
                return $"'{value}' is not a date (2026-01-31), a timestamp (2026-01-31T14:00:00Z) or an age (12h, 7d, 2w, 3mo, 1y)";
            }

            if (key == "created")
            {
                Query = Query with { CreatedFrom = Later(Query.CreatedFrom, from), CreatedTo = Earlier(Query.CreatedTo, to) };
            }
            else
            {
                Query = Query with { UpdatedFrom = Later(Query.UpdatedFrom, from), UpdatedTo = Earlier(Query.UpdatedTo, to) };
            }

            return null;
        }

        private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

        private static DateTimeOffset? Earlier(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

        private static string? OnlyColon(Clause clause) =>
            clause.Operator == ":" ? null : $"'{clause.Key}' takes ':' ({clause.Key}:value), not '{clause.Operator}'";

        private static string? Single(Clause clause, List<string> values, string example)
        {
            if (clause.Negated)
            {
                return $"'{clause.Key}' cannot be negated";
            }

            if (clause.Operator != ":")
            {
                return $"'{clause.Key}' takes ':', such as {example}";
            }

            return values.Count == 1 ? null : $"'{clause.Key}' takes one value, such as {example}";
        }
    }

    private static bool Matches(string databaseSpelling, string value) =>
        string.Equals(databaseSpelling, value.Replace('-', '_'), StringComparison.OrdinalIgnoreCase)
        || string.Equals(databaseSpelling.Replace("_", "", StringComparison.Ordinal), value, StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeEmail(string value) =>
        value.Length <= 320 && value.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < value.Length - 1 && !value.Any(char.IsWhiteSpace);

    internal static bool TryDate(string value, out DateTimeOffset day)
    {
        if (DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            day = new DateTimeOffset(date.Date, TimeSpan.Zero);
            return true;
        }

        day = default;
        return false;
    }

    private static bool TryTimestamp(string value, out DateTimeOffset instant) =>
        value.Contains('T', StringComparison.OrdinalIgnoreCase)
        & DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);

    [GeneratedRegex(@"^(?<n>[0-9]{1,6})(?<unit>h|d|w|mo|y)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RelativeAge();
}
