namespace AutoCrm.Sdk;

/// <summary>
/// What this SDK needs of the database: the oldest migration it works with, and the functions and tables it calls.
/// A database is new enough when its applied migrations (<c>supabase_migrations.schema_migrations</c>) include
/// <see cref="MinimumVersion"/>. The minimum is the newest migration the SDK depends on, not the newest of the
/// repository: later migrations that the SDK does not call into need no change here (a repository test fails when a
/// listed function or table is only created after the minimum).
/// </summary>
/// <example>
/// <code>
/// Console.WriteLine($"This SDK needs migration {CrmSchema.MinimumMigration} or later (supabase db push).");
/// </code>
/// </example>
public static class CrmSchema
{
    /// <summary>The version (timestamp) of the newest migration this SDK depends on.</summary>
    public static string MinimumVersion { get; } = "20261205115313";

    /// <summary>The file name of that migration without <c>.sql</c>, e.g. <c>20261205115313_ticket_sla_states</c>.</summary>
    public static string MinimumMigration { get; } = "20261205115313_ticket_sla_states";

    /// <summary>The database functions (RPCs) the SDK calls.</summary>
    public static IReadOnlyList<string> Functions { get; } =
    [
        "apply_macro", "assign_ticket", "claim_next_ticket", "create_webhook_endpoint", "deployment_status", "merge_ticket_metadata", "preview_macro", "queue_stats",
        "rate_ticket", "redeliver_webhook", "release_ticket", "reorder_ticket_fields", "report_agent_leaderboard", "report_summary", "report_timeseries",
        "rotate_webhook_secret", "search_tickets", "send_test_webhook", "set_agent_capacity", "set_agent_skills",
        "set_agent_status", "set_queue_routing", "set_routing_defaults", "set_ticket_field", "set_user_role", "test_automation_rules",
        "ticket_field_values", "transfer_ticket",
    ];

    /// <summary>The database functions only back-office code with the service role calls: the webhook dispatcher's lease
    /// and record of attempts. No signed-in user may execute them, so <c>deployment_status</c> (which lists what signed-in
    /// users may call) does not show them.</summary>
    public static IReadOnlyList<string> ServiceFunctions { get; } =
    [
        "complete_webhook_delivery", "lease_webhook_deliveries",
    ];

    /// <summary>The tables the SDK reads and writes.</summary>
    public static IReadOnlyList<string> Tables { get; } =
    [
        "agent_states", "automation_notifications", "automation_rules", "business_hours", "macros", "profiles", "queue_members", "queue_routing", "queues",
        "report_settings", "routing_settings", "sla_policies", "ticket_events", "ticket_fields", "ticket_messages", "ticket_ratings", "ticket_sla_states", "ticket_slas", "ticket_views",
        "tickets", "webhook_deliveries", "webhook_endpoints",
    ];

    /// <summary>The tables the SDK's realtime streams subscribe to (they must be in the <c>supabase_realtime</c> publication).</summary>
    public static IReadOnlyList<string> RealtimeTables { get; } =
    [
        "ticket_events", "ticket_messages", "tickets",
    ];
}
