using AutoCrm.DataGenerator;

namespace AutoCrm.Scale.Bench;

/// <summary>The generated data set every scale benchmark uses, and the actors it picks from it.</summary>
internal static class BenchData
{
    public static CrmDataOptions Options(int tickets) => new() { Tickets = tickets, Seed = 1 };

    public static CrmDataGenerator Generator(int tickets) => new(Options(tickets));
}
