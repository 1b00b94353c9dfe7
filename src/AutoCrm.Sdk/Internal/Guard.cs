using System.Runtime.CompilerServices;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// Argument checks that follow the SDK's error rule: a <see langword="null"/> the signature does not allow is a bug in the
/// calling code (<see cref="ArgumentNullException"/>); a value that is present but refused is a
/// <see cref="CrmValidationException"/> naming the field, like a value the server refuses.
/// </summary>
internal static class Guard
{
    public static void NotBlank([System.Diagnostics.CodeAnalysis.NotNull] string? value, string field, [CallerArgumentExpression(nameof(value))] string? parameter = null)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw CrmErrors.Invalid(field, $"A value for {field} is required.");
        }
    }

    public static void InRange(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw CrmErrors.Invalid(field, $"{field} must be from {min} to {max}, not {value}.");
        }
    }

    public static void NotNegative(int value, string field)
    {
        if (value < 0)
        {
            throw CrmErrors.Invalid(field, $"{field} must not be negative, not {value}.");
        }
    }

    public static void NotEmpty(Guid value, string field)
    {
        if (value == Guid.Empty)
        {
            throw CrmErrors.Invalid(field, $"{field} must not be the empty id.");
        }
    }
}
