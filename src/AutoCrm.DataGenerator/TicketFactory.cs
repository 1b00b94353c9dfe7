using System.Globalization;
using System.Text;
using System.Text.Json;
using AutoCrm.DataGenerator.Text;

namespace AutoCrm.DataGenerator;

/// <summary>
/// Builds ticket <c>i</c> from its own random stream: who asked, which queue, what it says, and a lifecycle that
/// ends in the status its age makes likely (last day: mostly new and open; older than half a year: almost all closed,
/// with a stale backlog), with the conversation and the history events the database's triggers would have written.
/// Thread-safe: every call uses only its own stream.
/// </summary>
internal sealed class TicketFactory
{
    private static readonly string[] Statuses = ["new", "open", "pending", "on_hold", "solved", "closed"];
    private static readonly string[] Priorities = ["low", "normal", "high", "urgent"];

    // Status mix by age (rows: under 1 day, 1-7 days, 7-30 days, 30-180 days, older), in the order of Statuses.
    private static readonly WeightedSampler[] StatusByAge =
    [
        new([0.55, 0.25, 0.08, 0.02, 0.10, 0.00]),
        new([0.15, 0.25, 0.15, 0.05, 0.30, 0.10]),
        new([0.04, 0.08, 0.06, 0.03, 0.29, 0.50]),
        new([0.03, 0.05, 0.02, 0.01, 0.04, 0.85]),
        new([0.01, 0.02, 0.01, 0.005, 0.005, 0.95]),
    ];

    private static readonly WeightedSampler PrioritySampler = new([0.22, 0.55, 0.17, 0.06]);
    private static readonly WeightedSampler TagCount = new([0.25, 0.40, 0.25, 0.10]);
    private static readonly WeightedSampler ChannelSampler = new(Vocabulary.ChannelWeights);

    private readonly CrmDataOptions _options;
    private readonly CrmDataSet _data;
    private readonly TextFactory _text;
    private readonly TicketTimeline _timeline;
    private readonly WeightedSampler _tags = WeightedSampler.Zipf(Vocabulary.Tags.Length, 1.0);
    private readonly long _numberOffset;
    private readonly long _eventIdOffset;
    private readonly Dictionary<Guid, string> _staffNames;

    public TicketFactory(CrmDataOptions options, CrmDataSet data, TextFactory text, long numberOffset, long eventIdOffset)
    {
        _options = options;
        _data = data;
        _text = text;
        _timeline = new TicketTimeline(options.End, options.Years);
        _numberOffset = numberOffset;
        _eventIdOffset = eventIdOffset;
        _staffNames = data.Agents.Concat(data.Admins).ToDictionary(u => u.Id, u => u.FirstName);
    }

    [ThreadStatic]
    private static StringBuilder? t_builder;

    public GeneratedTicket Create(int index)
    {
        var sb = t_builder ??= new StringBuilder(512);
        var random = new SeededRandom(_options.Seed, "ticket", index);
        var end = _options.End;
        var createdAt = _timeline.At((index + random.NextDouble()) / Math.Max(1, _options.Tickets));
        var age = end - createdAt;

        var requester = _data.Customers[_data.CustomerSampler.Next(ref random)];
        var queueIndex = random.Chance(0.02) ? -1 : _data.QueueSampler.Next(ref random);
        var queue = queueIndex < 0 ? null : _data.Queues[queueIndex];
        var priority = Priorities[PrioritySampler.Next(ref random)];
        var status = Statuses[StatusByAge[AgeBucket(age)].Next(ref random)];
        var tags = Tags(ref random);
        var subject = _text.Subject(ref random, sb);
        var metadata = Metadata(ref random, requester, sb);

        // Assigned: one in ten new tickets, nearly all others; always a member of the ticket's queue.
        Guid? assignee = null;
        var assigned = status == "new" ? random.Chance(0.10) : random.Chance(queue is null ? 0.5 : 0.92);
        if (assigned)
        {
            assignee = queue is null ? random.Pick(_data.Agents).Id : random.Pick(queue.AgentIds);
        }

        // Lifecycle steps, as offsets from creation, squeezed to fit the ticket's age.
        var steps = new List<(string Kind, double Hours)>(6);
        var transferred = queue is not null && _data.Queues.Count > 1 && random.Chance(0.03);
        if (transferred)
        {
            steps.Add(("queue", random.Exponential(1.5)));
        }

        if (assignee is not null)
        {
            steps.Add(("assign", random.Exponential(3)));
        }

        foreach (var next in StatusPath(status, ref random))
        {
            steps.Add((next, random.Exponential(next switch { "open" => 2, "pending" => 10, "on_hold" => 24, "solved" => 30, "closed" => 96, _ => 4 })));
        }

        var priorityChanged = random.Chance(0.06);
        if (priorityChanged)
        {
            steps.Add(("priority", random.Exponential(6)));
        }

        var tagsChanged = tags.Length > 0 && random.Chance(0.05);
        if (tagsChanged)
        {
            steps.Add(("tags", random.Exponential(6)));
        }

        var totalHours = 0.0;
        foreach (var (_, hours) in steps)
        {
            totalHours += hours;
        }

        var available = age.TotalHours * 0.95;
        var scale = totalHours > available ? available / totalHours : 1.0;
        var times = new DateTimeOffset[steps.Count];
        var clock = createdAt;
        for (var k = 0; k < steps.Count; k++)
        {
            clock = Micro(clock.AddHours(steps[k].Hours * scale) + TimeSpan.FromTicks(10));
            times[k] = clock;
        }

        var lastStep = steps.Count > 0 ? times[^1] : createdAt;

        // Events. Ids are sparse (offset + index × 16 + k) so any batch can be generated on its own.
        var events = new List<GeneratedEvent>(steps.Count + 1);
        var initialQueue = transferred ? _data.Queues[(queueIndex + 1 + random.Next(_data.Queues.Count - 1)) % _data.Queues.Count] : queue;
        var initialPriority = priorityChanged ? Priorities[(Array.IndexOf(Priorities, priority) + 1 + random.Next(3)) % 4] : priority;
        var initialTags = tagsChanged ? tags[..^1] : tags;
        events.Add(Event(index, 0, requester.Id, "created", createdAt,
            $$"""{"status": [null, "new"], "priority": [null, "{{initialPriority}}"], "assignee_id": [null, null], "queue_id": [null, {{Json(initialQueue?.Id)}}], "tags": [null, {{JsonArray(initialTags)}}]}"""));
        var currentStatus = "new";
        var version = 1;
        var actor = assignee ?? (queue is null ? _data.Agents[0].Id : queue.AgentIds[0]);
        for (var k = 0; k < steps.Count; k++)
        {
            var (kind, _) = steps[k];
            var at = times[k];
            version++;
            switch (kind)
            {
                case "queue":
                    events.Add(Event(index, events.Count, actor, "queue_changed", at, $$"""{"queue_id": ["{{initialQueue!.Id}}", "{{queue!.Id}}"]}"""));
                    break;
                case "assign":
                    events.Add(Event(index, events.Count, assignee, "assignee_changed", at, $$"""{"assignee_id": [null, "{{assignee}}"]}"""));
                    break;
                case "priority":
                    events.Add(Event(index, events.Count, actor, "priority_changed", at, $$"""{"priority": ["{{initialPriority}}", "{{priority}}"]}"""));
                    break;
                case "tags":
                    events.Add(Event(index, events.Count, actor, "tags_changed", at, $$"""{"tags": [{{JsonArray(initialTags)}}, {{JsonArray(tags)}}]}"""));
                    break;
                default:
                    var by = kind == "closed" && random.Chance(0.3) ? requester.Id : actor;
                    events.Add(Event(index, events.Count, by, "status_changed", at, $$"""{"status": ["{{currentStatus}}", "{{kind}}"]}"""));
                    currentStatus = kind;
                    break;
            }
        }

        // The conversation: the description, then replies between the first staff action and the last step (or now).
        var id = random.NextUuid7(createdAt);
        var messages = new List<GeneratedMessage>(4)
        {
            new(random.NextUuid7(createdAt), requester.Id, false, _text.Description(ref random, sb, subject, requester.FirstName), createdAt),
        };
        version++;
        DateTimeOffset? firstResponse = null;
        var replies = status == "new" ? (random.Chance(0.25) ? 1 : 0) : 1 + random.Next(3) + (random.Chance(0.2) ? random.Next(4) : 0);
        if (replies > 0)
        {
            var from = steps.Count > 0 ? times[0] : createdAt.AddMinutes(1);
            var until = status is "solved" or "closed" ? times[Math.Max(0, steps.FindLastIndex(s => s.Kind == "solved"))] : Min(end, lastStep.AddHours(48));
            if (until <= from)
            {
                until = Min(end, from.AddMinutes(30));
            }

            var staff = assignee ?? actor;
            var span = (until - from).Ticks;
            var offsets = new long[replies];
            for (var r = 0; r < replies; r++)
            {
                offsets[r] = (long)(random.NextDouble() * span);
            }

            Array.Sort(offsets);
            for (var r = 0; r < replies; r++)
            {
                var at = Micro(from.AddTicks(offsets[r]) + TimeSpan.FromTicks(10 * (r + 1)));
                var fromStaff = status != "new" && (r % 2 == 0 || random.Chance(0.2));
                if (fromStaff)
                {
                    var note = random.Chance(0.25);
                    var body = note ? _text.InternalNote(ref random, sb, requester.Plan) : _text.StaffReply(ref random, sb, requester.FirstName, FirstNameOf(staff));
                    messages.Add(new GeneratedMessage(random.NextUuid7(at), staff, note, body, at));
                    if (!note)
                    {
                        firstResponse ??= at;
                    }
                }
                else
                {
                    messages.Add(new GeneratedMessage(random.NextUuid7(at), requester.Id, false, _text.CustomerReply(ref random, sb, requester.FirstName), at));
                }

                // As the message trigger does: a public message touches its ticket, an internal note does not.
                if (!messages[^1].Internal)
                {
                    version++;
                }
            }
        }

        var lastPublic = messages.FindLast(m => !m.Internal)!.CreatedAt;
        var updatedAt = lastPublic > lastStep ? lastPublic : lastStep;
        var solvedAt = status is "solved" or "closed" ? times[steps.FindLastIndex(s => s.Kind == "solved")] : (DateTimeOffset?)null;
        var closedAt = status == "closed" ? times[steps.FindLastIndex(s => s.Kind == "closed")] : (DateTimeOffset?)null;
        return new GeneratedTicket
        {
            Index = index,
            Id = id,
            Number = _numberOffset + index + 1,
            Subject = subject,
            Status = status,
            Priority = priority,
            RequesterId = requester.Id,
            AssigneeId = assignee,
            QueueId = queue?.Id,
            Tags = tags,
            MetadataJson = metadata,
            Version = version,
            CreatedAt = createdAt,
            UpdatedAt = updatedAt,
            FirstResponseAt = firstResponse,
            SolvedAt = solvedAt,
            ClosedAt = closedAt,
            Messages = messages,
            Events = events,
        };
    }

    private static int AgeBucket(TimeSpan age) => age.TotalDays switch
    {
        < 1 => 0,
        < 7 => 1,
        < 30 => 2,
        < 180 => 3,
        _ => 4,
    };

    private static IEnumerable<string> StatusPath(string status, ref SeededRandom random)
    {
        var path = status switch
        {
            "new" => [],
            "open" => random.Chance(0.15) ? ["open", "pending", "open"] : ["open"],
            "pending" => new[] { "open", "pending" },
            "on_hold" => ["open", "on_hold"],
            "solved" => random.Chance(0.3) ? ["open", "pending", "solved"] : ["open", "solved"],
            _ => random.Chance(0.1) ? ["open", "solved", "open", "solved", "closed"] : ["open", "solved", "closed"],
        };
        return path;
    }

    private string[] Tags(ref SeededRandom random)
    {
        var count = TagCount.Next(ref random);
        if (count == 0)
        {
            return [];
        }

        var tags = new List<string>(count);
        for (var attempt = 0; tags.Count < count && attempt < 8; attempt++)
        {
            var tag = Vocabulary.Tags[_tags.Next(ref random)];
            if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        return [.. tags];
    }

    private static string Metadata(ref SeededRandom random, GeneratedUser requester, StringBuilder sb)
    {
        sb.Clear();
        var channel = Vocabulary.Channels[ChannelSampler.Next(ref random)];
        sb.Append("{\"channel\": \"").Append(channel).Append("\", \"plan\": \"").Append(requester.Plan)
            .Append("\", \"region\": \"").Append(requester.Region).Append('"');
        switch (channel)
        {
            case "web":
                sb.Append(", \"browser\": \"").Append(random.Pick(Vocabulary.Browsers)).Append('"');
                break;
            case "email":
                sb.Append(", \"language\": \"").Append(random.Chance(0.7) ? "en" : random.Pick(new[] { "de", "fr", "es", "nl", "it", "pt", "ja" })).Append('"');
                break;
            case "api":
                sb.Append(", \"integration\": \"").Append(random.Pick(new[] { "zapier", "slack", "salesforce", "custom" })).Append('"');
                break;
            default:
                break;
        }

        if (random.Chance(0.15))
        {
            sb.Append(", \"order\": \"ORD-").Append(random.Next(100_000, 10_000_000).ToString(CultureInfo.InvariantCulture)).Append('"');
        }

        return sb.Append('}').ToString();
    }

    private string FirstNameOf(Guid agentId) => _staffNames.TryGetValue(agentId, out var name) ? name : "Support";

    private GeneratedEvent Event(int ticketIndex, int k, Guid? actor, string kind, DateTimeOffset at, string changes) =>
        new(_eventIdOffset + ((long)ticketIndex << 4) + k + 1, actor, kind, changes, at);

    private static string Json(Guid? id) => id is { } value ? "\"" + value.ToString("D") + "\"" : "null";

    private static string JsonArray(IReadOnlyList<string> items) => JsonSerializer.Serialize(items, GeneratorJsonContext.Default.IReadOnlyListString);

    private static DateTimeOffset Micro(DateTimeOffset t) => new(t.Ticks / 10 * 10, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
