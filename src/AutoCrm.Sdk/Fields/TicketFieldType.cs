using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Fields;

/// <summary>The type of a custom ticket field (the database enum <c>ticket_field_type</c>); it decides which values the
/// database accepts and which .NET type reads them (see <see cref="TicketFieldValue"/>).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<TicketFieldType>))]
public enum TicketFieldType
{
    /// <summary>One line of text, at most 1,000 characters (<c>text</c>; <see cref="string"/>).</summary>
    Text,

    /// <summary>Several lines of text, at most 10,000 characters (<c>textarea</c>; <see cref="string"/>).</summary>
    Textarea,

    /// <summary>A whole number within ±2^53 − 1 (<c>integer</c>; <see cref="long"/>).</summary>
    Integer,

    /// <summary>A number that fits <see cref="decimal"/> (<c>decimal</c>).</summary>
    Decimal,

    /// <summary>True or false (<c>checkbox</c>; <see cref="bool"/>).</summary>
    Checkbox,

    /// <summary>A calendar date, stored as <c>YYYY-MM-DD</c> (<c>date</c>; <see cref="DateOnly"/>).</summary>
    Date,

    /// <summary>One of the field's option values (<c>dropdown</c>; <see cref="string"/>).</summary>
    Dropdown,

    /// <summary>Any of the field's option values, each at most once (<c>multiselect</c>; a list of strings).</summary>
    Multiselect,

    /// <summary>One line of text that must wholly match the field's pattern (<c>regex</c>; <see cref="string"/>).</summary>
    Regex,
}
