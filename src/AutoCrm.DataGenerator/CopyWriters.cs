using Npgsql;
using NpgsqlTypes;

namespace AutoCrm.DataGenerator;

/// <summary>Binary COPY of generated rows into the AutoCRM tables (column lists match the migrations). Synchronous: each
/// loader runs on its own thread, and millions of per-value writes are much cheaper without a task each.</summary>
internal static class CopyWriters
{
    public static long Users(NpgsqlConnection connection, IReadOnlyList<GeneratedUser> users, string passwordHash)
    {
        using (var copy = connection.BeginBinaryImport(
            "copy auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, "
            + "is_super_admin, created_at, updated_at, confirmation_token, recovery_token, email_change_token_new, email_change) from stdin (format binary)"))
        {
            foreach (var u in users)
            {
                copy.StartRow();
                copy.Write(Guid.Empty, NpgsqlDbType.Uuid);
                copy.Write(u.Id, NpgsqlDbType.Uuid);
                copy.Write("authenticated", NpgsqlDbType.Varchar);
                copy.Write("authenticated", NpgsqlDbType.Varchar);
                copy.Write(u.Email, NpgsqlDbType.Varchar);
                copy.Write(passwordHash, NpgsqlDbType.Varchar);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write("""{"provider": "email", "providers": ["email"]}""", NpgsqlDbType.Jsonb);
                copy.Write(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["display_name"] = u.DisplayName }, GeneratorJsonContext.Default.DictionaryStringString), NpgsqlDbType.Jsonb);
                copy.Write(false, NpgsqlDbType.Boolean);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                for (var i = 0; i < 4; i++)
                {
                    copy.Write(string.Empty, NpgsqlDbType.Varchar);
                }
            }

            copy.Complete();
        }

        using (var copy = connection.BeginBinaryImport(
            "copy auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at) from stdin (format binary)"))
        {
            foreach (var u in users)
            {
                copy.StartRow();
                copy.Write(IdentityId(u.Id), NpgsqlDbType.Uuid);
                copy.Write(u.Id.ToString("D"), NpgsqlDbType.Text);
                copy.Write(u.Id, NpgsqlDbType.Uuid);
                copy.Write(
                    System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["sub"] = u.Id.ToString("D"), ["email"] = u.Email }, GeneratorJsonContext.Default.DictionaryStringString),
                    NpgsqlDbType.Jsonb);
                copy.Write("email", NpgsqlDbType.Text);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
            }

            copy.Complete();
        }

        using (var copy = connection.BeginBinaryImport(
            "copy public.profiles (id, email, display_name, role, metadata, created_at, updated_at) from stdin (format binary)"))
        {
            foreach (var u in users)
            {
                copy.StartRow();
                copy.Write(u.Id, NpgsqlDbType.Uuid);
                copy.Write(u.Email, NpgsqlDbType.Text);
                copy.Write(u.DisplayName, NpgsqlDbType.Text);
                copy.Write(u.Role switch { GeneratedRole.Admin => "admin", GeneratedRole.Agent => "agent", _ => "customer" }, "public.app_role");
                copy.Write(
                    System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["company"] = u.Company, ["plan"] = u.Plan, ["region"] = u.Region }, GeneratorJsonContext.Default.DictionaryStringString),
                    NpgsqlDbType.Jsonb);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(u.CreatedAt, NpgsqlDbType.TimestampTz);
            }

            copy.Complete();
        }

        return users.Count;
    }

    public static void Queues(NpgsqlConnection connection, CrmDataSet data, DateTimeOffset createdAt)
    {
        using (var copy = connection.BeginBinaryImport("copy public.queues (id, slug, name, description, created_at, updated_at) from stdin (format binary)"))
        {
            foreach (var q in data.Queues)
            {
                copy.StartRow();
                copy.Write(q.Id, NpgsqlDbType.Uuid);
                copy.Write(q.Slug, NpgsqlDbType.Text);
                copy.Write(q.Name, NpgsqlDbType.Text);
                copy.Write($"{q.Name} (generated)", NpgsqlDbType.Text);
                copy.Write(createdAt, NpgsqlDbType.TimestampTz);
                copy.Write(createdAt, NpgsqlDbType.TimestampTz);
            }

            copy.Complete();
        }

        using (var copy = connection.BeginBinaryImport("copy public.queue_members (queue_id, agent_id, created_at) from stdin (format binary)"))
        {
            foreach (var q in data.Queues)
            {
                foreach (var agent in q.AgentIds)
                {
                    copy.StartRow();
                    copy.Write(q.Id, NpgsqlDbType.Uuid);
                    copy.Write(agent, NpgsqlDbType.Uuid);
                    copy.Write(createdAt, NpgsqlDbType.TimestampTz);
                }
            }

            copy.Complete();
        }
    }

    public static (long Tickets, long Messages, long Events) Tickets(NpgsqlConnection connection, IReadOnlyList<GeneratedTicket> tickets)
    {
        using (var copy = connection.BeginBinaryImport(
            "copy public.tickets (id, number, subject, status, priority, requester_id, assignee_id, queue_id, tags, metadata, version, "
            + "created_at, updated_at, first_response_at, solved_at, closed_at) from stdin (format binary)"))
        {
            foreach (var t in tickets)
            {
                copy.StartRow();
                copy.Write(t.Id, NpgsqlDbType.Uuid);
                copy.Write(t.Number, NpgsqlDbType.Bigint);
                copy.Write(t.Subject, NpgsqlDbType.Text);
                copy.Write(t.Status, "public.ticket_status");
                copy.Write(t.Priority, "public.ticket_priority");
                copy.Write(t.RequesterId, NpgsqlDbType.Uuid);
                WriteNullable(copy, t.AssigneeId);
                WriteNullable(copy, t.QueueId);
                copy.Write(t.Tags as string[] ?? [.. t.Tags], NpgsqlDbType.Array | NpgsqlDbType.Text);
                copy.Write(t.MetadataJson, NpgsqlDbType.Jsonb);
                copy.Write(t.Version, NpgsqlDbType.Integer);
                copy.Write(t.CreatedAt, NpgsqlDbType.TimestampTz);
                copy.Write(t.UpdatedAt, NpgsqlDbType.TimestampTz);
                WriteNullable(copy, t.FirstResponseAt);
                WriteNullable(copy, t.SolvedAt);
                WriteNullable(copy, t.ClosedAt);
            }

            copy.Complete();
        }

        long messages = 0;
        using (var copy = connection.BeginBinaryImport(
            "copy public.ticket_messages (id, ticket_id, author_id, visibility, body, metadata, created_at) from stdin (format binary)"))
        {
            foreach (var t in tickets)
            {
                foreach (var m in t.Messages)
                {
                    copy.StartRow();
                    copy.Write(m.Id, NpgsqlDbType.Uuid);
                    copy.Write(t.Id, NpgsqlDbType.Uuid);
                    copy.Write(m.AuthorId, NpgsqlDbType.Uuid);
                    copy.Write(m.Internal ? "internal" : "public", "public.message_visibility");
                    copy.Write(m.Body, NpgsqlDbType.Text);
                    copy.Write("{}", NpgsqlDbType.Jsonb);
                    copy.Write(m.CreatedAt, NpgsqlDbType.TimestampTz);
                    messages++;
                }
            }

            copy.Complete();
        }

        long events = 0;
        using (var copy = connection.BeginBinaryImport(
            "copy public.ticket_events (id, ticket_id, actor_id, kind, changes, created_at) from stdin (format binary)"))
        {
            foreach (var t in tickets)
            {
                foreach (var e in t.Events)
                {
                    copy.StartRow();
                    copy.Write(e.Id, NpgsqlDbType.Bigint);
                    copy.Write(t.Id, NpgsqlDbType.Uuid);
                    WriteNullable(copy, e.ActorId);
                    copy.Write(e.Kind, NpgsqlDbType.Text);
                    copy.Write(e.ChangesJson, NpgsqlDbType.Jsonb);
                    copy.Write(e.CreatedAt, NpgsqlDbType.TimestampTz);
                    events++;
                }
            }

            copy.Complete();
        }

        return (tickets.Count, messages, events);
    }

    /// <summary>The identity row's id, derived from the user's (so a reload is reproducible).</summary>
    private static Guid IdentityId(Guid userId)
    {
        Span<byte> bytes = stackalloc byte[16];
        userId.TryWriteBytes(bytes, bigEndian: true, out _);
        bytes[15] ^= 0x5A;
        bytes[0] ^= 0xA5;
        return new Guid(bytes, bigEndian: true);
    }

    private static void WriteNullable(NpgsqlBinaryImporter copy, Guid? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.Uuid);
        }
        else
        {
            copy.WriteNull();
        }
    }

    private static void WriteNullable(NpgsqlBinaryImporter copy, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            copy.Write(v, NpgsqlDbType.TimestampTz);
        }
        else
        {
            copy.WriteNull();
        }
    }
}
