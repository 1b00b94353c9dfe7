namespace AutoCrm.Sdk.Auth;

/// <summary>One page of users from <see cref="AuthAdminClient.ListUsersAsync"/>.</summary>
public sealed record UserList
{
    /// <summary>The users of this page.</summary>
    public required IReadOnlyList<User> Users { get; init; }

    /// <summary>How many users there are in all (<c>X-Total-Count</c>), if the server said.</summary>
    public long? Total { get; init; }

    /// <summary>The next page number, or <see langword="null"/> on the last page.</summary>
    public int? NextPage { get; init; }

    /// <summary>The last page number, if the server said.</summary>
    public int? LastPage { get; init; }
}
