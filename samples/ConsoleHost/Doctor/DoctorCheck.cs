namespace AutoCrm.ConsoleHost.Doctor;

/// <summary>How a doctor check ended.</summary>
internal enum DoctorOutcome
{
    Passed,
    Failed,

    /// <summary>Not run, because an earlier check failed in a way that makes it meaningless.</summary>
    Skipped,
}

/// <summary>One line of <c>autocrm doctor</c>: what was checked, how it ended, and what was found (or what to do).</summary>
internal sealed record DoctorCheck(string Name, DoctorOutcome Outcome, string Detail)
{
    public static DoctorCheck Pass(string name, string detail) => new(name, DoctorOutcome.Passed, detail);

    public static DoctorCheck Fail(string name, string detail) => new(name, DoctorOutcome.Failed, detail);

    public static DoctorCheck Skip(string name, string detail) => new(name, DoctorOutcome.Skipped, detail);
}
