using System.Globalization;
using System.Text;
using AutoCrm.DataGenerator.Text;

namespace AutoCrm.DataGenerator;

/// <summary>
/// The people and queues of a generated data set: small enough to hold in memory, and what a benchmark needs to pick
/// its actors (the busiest queue and one of its agents, the customer with the most tickets, a typical one). Tickets
/// are not held here; <see cref="CrmDataGenerator.Tickets"/> regenerates them on demand.
/// </summary>
public sealed class CrmDataSet
{
    internal CrmDataSet(CrmDataOptions options)
    {
        var seed = options.Seed;
        Admins = [.. Enumerable.Range(0, options.Admins).Select(i => Staff(seed, "admin", i, GeneratedRole.Admin, options.End, options.Years))];
        Agents = [.. Enumerable.Range(0, options.AgentCount).Select(i => Staff(seed, "agent", i, GeneratedRole.Agent, options.End, options.Years))];
        Customers = [.. Enumerable.Range(0, options.CustomerCount).Select(i => Customer(seed, i, options.End, options.Years))];
        CustomerSampler = WeightedSampler.Zipf(Customers.Count, 0.5);
        QueueSampler = WeightedSampler.Zipf(options.Queues, 0.8);
        Queues = BuildQueues(seed, options, QueueSampler, Agents);
        AgentQueues = Agents.ToDictionary(a => a.Id, a => (IReadOnlyList<Guid>)[.. Queues.Where(q => q.AgentIds.Contains(a.Id)).Select(q => q.Id)]);
    }

    /// <summary>The admins.</summary>
    public IReadOnlyList<GeneratedUser> Admins { get; }

    /// <summary>The agents.</summary>
    public IReadOnlyList<GeneratedUser> Agents { get; }

    /// <summary>The customers, by expected ticket volume: [0] files the most tickets (Zipf, exponent 0.5).</summary>
    public IReadOnlyList<GeneratedUser> Customers { get; }

    /// <summary>The queues, busiest first.</summary>
    public IReadOnlyList<GeneratedQueue> Queues { get; }

    /// <summary>Each agent's queues.</summary>
    public IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> AgentQueues { get; }

    /// <summary>Every user: admins, agents, customers.</summary>
    public IEnumerable<GeneratedUser> Users => Admins.Concat(Agents).Concat(Customers);

    internal WeightedSampler CustomerSampler { get; }

    internal WeightedSampler QueueSampler { get; }

    /// <summary>The expected share of all tickets filed by <see cref="Customers"/>[<paramref name="rank"/>].</summary>
    /// <param name="rank">The customer's index.</param>
    public double CustomerShare(int rank) => CustomerSampler.Probability(rank);

    private static GeneratedUser Staff(long seed, string purpose, int index, GeneratedRole role, DateTimeOffset end, double years)
    {
        var random = new SeededRandom(seed, purpose, index);
        var id = random.NextUuid4();
        var first = random.Pick(Vocabulary.FirstNames);
        var last = random.Pick(Vocabulary.LastNames);
        var email = $"{Ascii(first)}.{Ascii(last)}.{purpose}{index}@support.autocrm.test";
        var created = end.AddDays(-years * 365.25 - 30 + random.NextDouble() * 30);
        return new GeneratedUser(id, email, $"{first} {last}", first, role, "AutoCRM Support", "enterprise", "eu", created);
    }

    private static GeneratedUser Customer(long seed, int index, DateTimeOffset end, double years)
    {
        var random = new SeededRandom(seed, "customer", index);
        var id = random.NextUuid4();
        var first = random.Pick(Vocabulary.FirstNames);
        var last = random.Pick(Vocabulary.LastNames);

        // About six customers per company; the company decides plan and region.
        var companyIndex = index / 6;
        var company = new SeededRandom(seed, "company", companyIndex);
        var companyName = CompanyName(ref company, companyIndex);
        var plan = Vocabulary.Plans[new WeightedSampler(Vocabulary.PlanWeights).Next(ref company)];
        var region = Vocabulary.Regions[new WeightedSampler(Vocabulary.RegionWeights).Next(ref company)];
        var domain = Ascii(companyName).Replace(".", "", StringComparison.Ordinal) + ".example";
        var email = $"{Ascii(first)}.{Ascii(last)}.{index.ToString(CultureInfo.InvariantCulture)}@{domain}";
        var created = end.AddDays(-years * 365.25 * random.NextDouble() - 30);
        return new GeneratedUser(id, email, $"{first} {last}", first, GeneratedRole.Customer, companyName, plan, region, created);
    }

    private static string CompanyName(ref SeededRandom random, int index)
    {
        var sb = new StringBuilder();
        var syllables = 2 + random.Next(2);
        for (var i = 0; i < syllables; i++)
        {
            sb.Append(random.Pick(Vocabulary.Syllables));
        }

        sb[0] = char.ToUpperInvariant(sb[0]);
        string[] suffixes = ["Ltd", "GmbH", "Inc", "BV", "SA", "AB", "Oy", "LLC"];
        return sb.Append(' ').Append(random.Pick(suffixes)).Append(' ').Append((index % 97).ToString(CultureInfo.InvariantCulture)).ToString();
    }

    private static List<GeneratedQueue> BuildQueues(long seed, CrmDataOptions options, WeightedSampler queueSampler, IReadOnlyList<GeneratedUser> agents)
    {
        var members = Enumerable.Range(0, options.Queues).Select(_ => new List<Guid>()).ToArray();

        // Every agent works one to three queues, busier queues getting more agents; then every queue gets at least two.
        for (var a = 0; a < agents.Count; a++)
        {
            var random = new SeededRandom(seed, "membership", a);
            var count = 1 + random.Next(3);
            for (var k = 0; k < count; k++)
            {
                var q = queueSampler.Next(ref random);
                if (!members[q].Contains(agents[a].Id))
                {
                    members[q].Add(agents[a].Id);
                }
            }
        }

        for (var q = 0; q < options.Queues; q++)
        {
            for (var k = 0; members[q].Count < Math.Min(2, agents.Count); k++)
            {
                var agent = agents[(q * 7 + k) % agents.Count].Id;
                if (!members[q].Contains(agent))
                {
                    members[q].Add(agent);
                }
            }
        }

        var queues = new List<GeneratedQueue>(options.Queues);
        for (var q = 0; q < options.Queues; q++)
        {
            var random = new SeededRandom(seed, "queue", q);
            var name = q < Vocabulary.QueueNames.Length ? Vocabulary.QueueNames[q] : $"Team {q + 1}";
            var slug = Ascii(name);
            queues.Add(new GeneratedQueue(random.NextUuid4(), slug, name, queueSampler.Probability(q) * 0.98, members[q]));
        }

        return queues;
    }

    /// <summary>Lower-case ASCII letters, digits, dots and spaces only (for emails and slugs).</summary>
    internal static string Ascii(string text)
    {
        var normalized = text.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(normalized.Length);
        foreach (var c in normalized)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is ' ' or '.')
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (c is 'ß')
            {
                sb.Append("ss");
            }
            else if (c is 'ł' or 'Ł')
            {
                sb.Append('l');
            }
        }

        return sb.ToString().Replace(' ', '-');
    }
}
