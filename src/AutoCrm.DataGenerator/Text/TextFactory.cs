using System.Globalization;
using System.Text;

namespace AutoCrm.DataGenerator.Text;

/// <summary>
/// Builds subjects and message bodies from <see cref="Vocabulary"/>. Each slot is drawn with Zipf weights, and a share
/// of subjects carries a made-up product name (5 000 of them, Zipf-drawn), a model number or an error code, so term
/// frequencies span from "in a tenth of all subjects" to "in a handful". Immutable and thread-safe.
/// </summary>
internal sealed class TextFactory
{
    private const int ProductNames = 5_000;

    private readonly WeightedSampler _objects = WeightedSampler.Zipf(Vocabulary.Objects.Length, 1.0);
    private readonly WeightedSampler _symptoms = WeightedSampler.Zipf(Vocabulary.Symptoms.Length, 1.0);
    private readonly WeightedSampler _verbs = WeightedSampler.Zipf(Vocabulary.Verbs.Length, 1.0);
    private readonly WeightedSampler _triggers = WeightedSampler.Zipf(Vocabulary.Triggers.Length, 0.8);
    private readonly WeightedSampler _products = WeightedSampler.Zipf(ProductNames, 1.05);
    private readonly WeightedSampler _staffReplies = WeightedSampler.Zipf(Vocabulary.StaffReplies.Length, 0.7);
    private readonly WeightedSampler _customerReplies = WeightedSampler.Zipf(Vocabulary.CustomerReplies.Length, 0.7);
    private readonly WeightedSampler _notes = WeightedSampler.Zipf(Vocabulary.InternalNotes.Length, 0.7);
    private readonly string[] _productNames;

    public TextFactory(long seed)
    {
        _productNames = new string[ProductNames];
        for (var rank = 0; rank < ProductNames; rank++)
        {
            var random = new SeededRandom(seed, "product-name", rank);
            _productNames[rank] = MadeUpName(ref random, rank);
        }
    }

    /// <summary>The made-up product names, most frequent first (for benchmarks that search a rare or a common one).</summary>
    public IReadOnlyList<string> ProductNameList => _productNames;

    public string Subject(ref SeededRandom random, StringBuilder sb)
    {
        sb.Clear();
        var roll = random.NextDouble();
        if (roll < 0.06)
        {
            sb.Append(random.Chance(0.5) ? "Re: " : "Urgent: ");
        }

        var obj = Vocabulary.Objects[_objects.Next(ref random)];
        var shape = random.Next(10);
        switch (shape)
        {
            case 0:
            case 1:
                AppendCapitalized(sb, obj).Append(' ').Append(Vocabulary.Symptoms[_symptoms.Next(ref random)]);
                break;
            case 2:
                sb.Append(random.Chance(0.5) ? "Cannot " : "Unable to ").Append(Vocabulary.Verbs[_verbs.Next(ref random)]).Append(" my ").Append(obj);
                break;
            case 3:
                sb.Append("How do I ").Append(Vocabulary.Verbs[_verbs.Next(ref random)]).Append(" the ").Append(obj).Append('?');
                break;
            case 4:
                AppendCapitalized(sb, obj).Append(' ').Append(Vocabulary.Symptoms[_symptoms.Next(ref random)])
                    .Append(" after ").Append(Vocabulary.Triggers[_triggers.Next(ref random)]);
                break;
            case 5:
                sb.Append("Error ");
                AppendErrorCode(sb, ref random).Append(" when I ").Append(Vocabulary.Verbs[_verbs.Next(ref random)]).Append(" the ").Append(obj);
                break;
            case 6:
                sb.Append(random.Chance(0.5) ? "Refund for order #" : "Question about order #").Append(random.Next(100_000, 10_000_000).ToString(CultureInfo.InvariantCulture));
                break;
            case 7:
                sb.Append(_productNames[_products.Next(ref random)]).Append(": ").Append(obj).Append(' ').Append(Vocabulary.Symptoms[_symptoms.Next(ref random)]);
                break;
            case 8:
                AppendCapitalized(sb, obj).Append(" on my ").Append(_productNames[_products.Next(ref random)]).Append(' ')
                    .Append((char)('A' + random.Next(26))).Append(random.Next(100, 9_999).ToString(CultureInfo.InvariantCulture))
                    .Append(' ').Append(Vocabulary.Symptoms[_symptoms.Next(ref random)]);
                break;
            default:
                sb.Append(random.Chance(0.5) ? "Feature request: " : "Question about ").Append(obj).Append(" in ").Append(_productNames[_products.Next(ref random)]);
                break;
        }

        return sb.ToString();
    }

    public string Description(ref SeededRandom random, StringBuilder sb, string subject, string firstName)
    {
        sb.Clear();
        sb.Append(Vocabulary.Openers[random.Next(Vocabulary.Openers.Length)]).Append(' ');
        var obj = Vocabulary.Objects[_objects.Next(ref random)];
        sb.Append("When I try to ").Append(Vocabulary.Verbs[_verbs.Next(ref random)]).Append(" the ").Append(obj)
            .Append(", it ").Append(Vocabulary.Symptoms[_symptoms.Next(ref random)]).Append(' ')
            .Append(Vocabulary.Since[random.Next(Vocabulary.Since.Length)]).Append(". ");
        if (random.Chance(0.5))
        {
            sb.Append("Subject says it all: ").Append(subject).Append(". ");
        }

        if (random.Chance(0.3))
        {
            sb.Append("The error code is ");
            AppendErrorCode(sb, ref random).Append(". ");
        }

        sb.Append(Vocabulary.Asks[random.Next(Vocabulary.Asks.Length)]).Append(' ')
            .Append(Vocabulary.Closers[random.Next(Vocabulary.Closers.Length)]).Append(' ').Append(firstName);
        return sb.ToString();
    }

    public string StaffReply(ref SeededRandom random, StringBuilder sb, string customerFirstName, string agentFirstName)
    {
        sb.Clear();
        sb.Append("Hi ").Append(customerFirstName).Append(", ").Append(Vocabulary.StaffReplies[_staffReplies.Next(ref random)]);
        if (random.Chance(0.3))
        {
            sb.Append(' ').Append(Vocabulary.StaffReplies[_staffReplies.Next(ref random)]);
        }

        sb.Append(" Best regards, ").Append(agentFirstName);
        return sb.ToString();
    }

    public string CustomerReply(ref SeededRandom random, StringBuilder sb, string firstName)
    {
        sb.Clear();
        sb.Append(Vocabulary.CustomerReplies[_customerReplies.Next(ref random)]);
        if (random.Chance(0.25))
        {
            sb.Append(' ').Append(Vocabulary.Asks[random.Next(Vocabulary.Asks.Length)]);
        }

        sb.Append(' ').Append(firstName);
        return sb.ToString();
    }

    public string InternalNote(ref SeededRandom random, StringBuilder sb, string plan)
    {
        sb.Clear();
        var note = Vocabulary.InternalNotes[_notes.Next(ref random)];
        var at = 0;
        while (at < note.Length)
        {
            var open = note.IndexOf('{', at);
            if (open < 0)
            {
                sb.Append(note, at, note.Length - at);
                break;
            }

            sb.Append(note, at, open - at);
            var close = note.IndexOf('}', open);
            switch (note.AsSpan(open + 1, close - open - 1))
            {
                case "code":
                    AppendErrorCode(sb, ref random);
                    break;
                case "server":
                    sb.Append(Vocabulary.Servers[random.Next(Vocabulary.Servers.Length)]);
                    break;
                default:
                    sb.Append(plan);
                    break;
            }

            at = close + 1;
        }

        return sb.ToString();
    }

    private static StringBuilder AppendErrorCode(StringBuilder sb, ref SeededRandom random) => random.Next(3) switch
    {
        0 => sb.Append("E-").Append(random.Next(1000, 10_000).ToString(CultureInfo.InvariantCulture)),
        1 => sb.Append("0x8007").Append(random.Next(0, 0x10000).ToString("X4", CultureInfo.InvariantCulture)),
        _ => sb.Append("HTTP ").Append(random.Chance(0.6) ? "500" : random.Chance(0.5) ? "502" : random.Chance(0.5) ? "403" : "429"),
    };

    private static StringBuilder AppendCapitalized(StringBuilder sb, string word) =>
        sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);

    private static string MadeUpName(ref SeededRandom random, int rank)
    {
        var sb = new StringBuilder();
        var syllables = 2 + random.Next(2);
        for (var i = 0; i < syllables; i++)
        {
            sb.Append(Vocabulary.Syllables[random.Next(Vocabulary.Syllables.Length)]);
        }

        // The rank keeps names distinct; short ones stay words, the tail reads like a model line ("Korvex 412").
        sb[0] = char.ToUpperInvariant(sb[0]);
        return rank < 400 ? sb.ToString() : sb.Append(' ').Append((rank % 900 + 100).ToString(CultureInfo.InvariantCulture)).ToString();
    }
}
