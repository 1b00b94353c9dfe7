using System.Globalization;
using System.Text;

namespace AutoCrm.Sdk.Bench;

/// <summary>The JSON PostgREST returns for tickets read with their conversation.</summary>
internal static class SamplePayload
{
    public static readonly Guid TicketId = Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");

    public static string Ticket(int i, int messages) => string.Create(CultureInfo.InvariantCulture, $$"""
        {"id":"0190a1b2-c3d4-7e5f-8a9b-{{i:x12}}","number":{{1000 + i}},"subject":"Printer {{i}} is on fire again","status":"open","priority":"high",
        "requester_id":"11111111-1111-4111-8111-111111111111","assignee_id":"22222222-2222-4222-8222-222222222222","queue_id":"33333333-3333-4333-8333-333333333333",
        "tags":["hardware","fire","vip"],"metadata":{"plan":"pro","seats":25,"channel":"email","sla":{"tier":"gold","hours":4},"labels":["a","b"]},"version":3,
        "created_at":"2026-01-01T10:00:00.123456+00:00","updated_at":"2026-01-02T11:30:00.654321+00:00","first_response_at":"2026-01-01T10:15:00+00:00",
        "solved_at":null,"closed_at":null,"conversation_history":[{{string.Join(",", Enumerable.Range(0, messages).Select(m => Message(i, m)))}}]}
        """);

    private static string Message(int i, int m) => string.Create(CultureInfo.InvariantCulture, $$"""
        {"id":"0190a1b2-c3d4-7e5f-{{m:x4}}-{{i:x12}}","ticket_id":"0190a1b2-c3d4-7e5f-8a9b-{{i:x12}}","author_id":"11111111-1111-4111-8111-111111111111",
        "visibility":"{{(m % 2 == 0 ? "public" : "internal")}}","body":"Message {{m}}: the printer in room {{i}} started smoking after the firmware update.",
        "metadata":{"via":"email"},"created_at":"2026-01-01T10:0{{m}}:00+00:00"}
        """);

    public static byte[] Page(int tickets, int messages) =>
        Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, tickets).Select(i => Ticket(i, messages))) + "]");
}
