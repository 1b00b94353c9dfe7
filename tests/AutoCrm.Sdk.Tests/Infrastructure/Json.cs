namespace AutoCrm.Sdk.Tests.Infrastructure;

/// <summary>Canned server answers.</summary>
public static class Json
{
    public static readonly Guid TicketId = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    public static readonly Guid UserId = Guid.Parse("11111111-1111-4111-8111-111111111111");
    public static readonly Guid AgentId = Guid.Parse("22222222-2222-4222-8222-222222222222");
    public static readonly Guid QueueId = Guid.Parse("33333333-3333-4333-8333-333333333333");

    public static string Ticket(Guid? id = null, int version = 1, string status = "new", string created = "2026-01-01T10:00:00.123456+00:00", string extra = "") => $$"""
        {"id":"{{id ?? TicketId}}","number":42,"subject":"Printer on fire","status":"{{status}}","priority":"urgent",
         "requester_id":"{{UserId}}","assignee_id":null,"queue_id":"{{QueueId}}","tags":["hardware","fire"],
         "metadata":{"plan":"pro","seats":5},"version":{{version}},"created_at":"{{created}}",
         "updated_at":"2026-01-01T10:05:00+00:00","first_response_at":null,"solved_at":null,"closed_at":null{{extra}}}
        """;

    public static string Message(string visibility = "public") => $$"""
        {"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60","ticket_id":"{{TicketId}}","author_id":"{{UserId}}","visibility":"{{visibility}}","body":"Hello","metadata":{},"created_at":"2026-01-01T10:01:00+00:00"}
        """;

    public static string User(string email = "carol@customer.demo") => $$"""
        {"id":"{{UserId}}","aud":"authenticated","role":"authenticated","email":"{{email}}","phone":"",
         "email_confirmed_at":"2026-01-01T00:00:00Z","app_metadata":{"provider":"email","providers":["email"]},
         "user_metadata":{"display_name":"Carol"},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","is_anonymous":false}
        """;

    /// <summary>A session; <paramref name="expiresAt"/> in Unix seconds.</summary>
    public static string Session(string access, string refresh, long expiresAt, int expiresIn = 3600) => $$"""
        {"access_token":"{{access}}","token_type":"bearer","expires_in":{{expiresIn}},"expires_at":{{expiresAt}},"refresh_token":"{{refresh}}","user":{{User()}}}
        """;
}
