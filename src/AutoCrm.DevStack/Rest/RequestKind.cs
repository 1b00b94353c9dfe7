namespace AutoCrm.DevStack.Rest;

/// <summary>What a REST request does, which decides its status, headers and body.</summary>
internal enum RequestKind
{
    Read,
    Insert,
    Update,
    Delete,
    Put,
    Call,
}
