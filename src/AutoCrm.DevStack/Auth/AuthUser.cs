using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Auth;

/// <summary>A row of <c>auth.users</c> with its identities (docs/protocols.md#auth-tables-and-sql-helpers).</summary>
internal sealed class AuthUser
{
    public required Guid Id { get; init; }
    public string? Aud { get; init; }
    public string? Role { get; init; }
    public string? Email { get; init; }
    public string? EncryptedPassword { get; init; }
    public DateTime? EmailConfirmedAt { get; init; }
    public DateTime? InvitedAt { get; init; }
    public DateTime? ConfirmationSentAt { get; init; }
    public DateTime? RecoverySentAt { get; init; }
    public string? EmailChange { get; init; }
    public DateTime? EmailChangeSentAt { get; init; }
    public DateTime? LastSignInAt { get; init; }
    public required JsonObject AppMetadata { get; init; }
    public required JsonObject UserMetadata { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public string? Phone { get; init; }
    public DateTime? PhoneConfirmedAt { get; init; }
    public string? PhoneChange { get; init; }
    public DateTime? PhoneChangeSentAt { get; init; }
    public DateTime? ConfirmedAt { get; init; }
    public DateTime? BannedUntil { get; init; }
    public DateTime? DeletedAt { get; init; }
    public DateTime? ReauthenticationSentAt { get; init; }
    public bool IsAnonymous { get; init; }
    public IReadOnlyList<AuthIdentity> Identities { get; set; } = [];

    public bool HasPassword => !string.IsNullOrEmpty(EncryptedPassword);

    public bool IsEmailConfirmed => EmailConfirmedAt is not null;

    public bool IsBanned(DateTime now) => BannedUntil is { } until && until > now;

    /// <summary>The user object as GoTrue serialises <c>models.User</c> (null timestamps omitted).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["id"] = Id.ToString(),
            ["aud"] = Aud ?? string.Empty,
            ["role"] = Role ?? string.Empty,
            ["email"] = Email ?? string.Empty,
        };
        AddTime(json, "email_confirmed_at", EmailConfirmedAt);
        AddTime(json, "invited_at", InvitedAt);
        json["phone"] = Phone ?? string.Empty;
        AddTime(json, "phone_confirmed_at", PhoneConfirmedAt);
        AddTime(json, "confirmation_sent_at", ConfirmationSentAt);
        AddTime(json, "confirmed_at", ConfirmedAt);
        AddTime(json, "recovery_sent_at", RecoverySentAt);
        if (!string.IsNullOrEmpty(EmailChange))
        {
            json["new_email"] = EmailChange;
        }

        AddTime(json, "email_change_sent_at", EmailChangeSentAt);
        if (!string.IsNullOrEmpty(PhoneChange))
        {
            json["new_phone"] = PhoneChange;
        }

        AddTime(json, "phone_change_sent_at", PhoneChangeSentAt);
        AddTime(json, "reauthentication_sent_at", ReauthenticationSentAt);
        AddTime(json, "last_sign_in_at", LastSignInAt);
        json["app_metadata"] = AppMetadata.DeepClone();
        json["user_metadata"] = UserMetadata.DeepClone();
        var identities = new JsonArray();
        foreach (var identity in Identities)
        {
            identities.Add(identity.ToJson());
        }

        json["identities"] = identities;
        AddTime(json, "banned_until", BannedUntil);
        json["created_at"] = AuthResponses.FormatTime(CreatedAt);
        json["updated_at"] = AuthResponses.FormatTime(UpdatedAt);
        AddTime(json, "deleted_at", DeletedAt);
        json["is_anonymous"] = IsAnonymous;
        return json;
    }

    internal static void AddTime(JsonObject json, string name, DateTime? value)
    {
        if (value is { } time)
        {
            json[name] = AuthResponses.FormatTime(time);
        }
    }

    /// <summary>GoTrue's <c>UpdateUserMetaData</c>/<c>UpdateAppMetaData</c>: a top-level merge where null deletes a key.</summary>
    internal static JsonObject Merge(JsonObject current, JsonObject updates)
    {
        var merged = (JsonObject)current.DeepClone();
        foreach (var (key, value) in updates)
        {
            if (value is null || value.GetValueKind() == JsonValueKind.Null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value.DeepClone();
            }
        }

        return merged;
    }
}

/// <summary>A row of <c>auth.identities</c>. Note the naming quirk: <c>identity_id</c> is the row id, <c>id</c> the provider's subject.</summary>
internal sealed class AuthIdentity
{
    public required Guid Id { get; init; }
    public required string ProviderId { get; init; }
    public required Guid UserId { get; init; }
    public required JsonObject IdentityData { get; init; }
    public required string Provider { get; init; }
    public DateTime? LastSignInAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public string? Email { get; init; }

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["identity_id"] = Id.ToString(),
            ["id"] = ProviderId,
            ["user_id"] = UserId.ToString(),
            ["identity_data"] = IdentityData.DeepClone(),
            ["provider"] = Provider,
        };
        AuthUser.AddTime(json, "last_sign_in_at", LastSignInAt);
        json["created_at"] = AuthResponses.FormatTime(CreatedAt);
        json["updated_at"] = AuthResponses.FormatTime(UpdatedAt);
        if (!string.IsNullOrEmpty(Email))
        {
            json["email"] = Email;
        }

        return json;
    }
}
