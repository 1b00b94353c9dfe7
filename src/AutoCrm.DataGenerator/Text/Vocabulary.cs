namespace AutoCrm.DataGenerator.Text;

/// <summary>
/// The words support tickets are made of, each list in rough order of how often it comes up (index 0 most often).
/// Lists are drawn from with Zipf weights, so a few terms ("login", "invoice") are in a large share of subjects and
/// a long tail (product names, model numbers, error codes) is rare: what a search index meets in real help desks.
/// </summary>
internal static class Vocabulary
{
    public static readonly string[] Objects =
    [
        "login", "password", "invoice", "account", "payment", "subscription", "order", "refund", "dashboard", "email",
        "report", "export", "app", "notification", "integration", "api", "user", "plan", "billing", "settings",
        "import", "calendar", "profile", "team", "workspace", "file", "upload", "download", "sync", "search",
        "printer", "mobile app", "webhook", "contact list", "project", "permissions", "invite", "receipt", "credit card", "data",
        "domain", "certificate", "backup", "license", "trial", "shipment", "delivery", "tracking number", "return label", "warranty",
        "device", "firmware", "update", "battery", "screen", "keyboard", "camera", "headset", "charger", "router",
        "wifi", "bluetooth", "scanner", "barcode", "tax", "vat number", "currency", "discount", "coupon", "gift card",
        "bank transfer", "paypal", "two-factor code", "sso", "security key", "api token", "role", "audit log", "chart", "filter",
        "form", "template", "signature", "attachment", "link", "widget", "theme", "language", "time zone", "address",
        "phone number", "username", "session", "cache", "database", "server", "storage", "quota", "usage report", "seat",
    ];

    public static readonly string[] Symptoms =
    [
        "not working", "shows an error", "is slow", "is missing", "keeps crashing", "is wrong", "won't load", "stopped syncing",
        "times out", "is blank", "fails", "is duplicated", "disappeared", "is stuck", "is locked", "cannot be found",
        "was charged twice", "is not updating", "looks broken", "is out of date", "freezes", "logs me out", "is greyed out",
        "returns 500", "bounces", "is too expensive", "expired", "was rejected", "is unreadable", "overheats",
    ];

    public static readonly string[] Verbs =
    [
        "log in to", "reset", "update", "change", "cancel", "delete", "export", "download", "connect", "install",
        "configure", "activate", "renew", "upgrade", "downgrade", "transfer", "merge", "restore", "print", "scan",
        "pair", "sync", "share", "invite someone to", "verify", "track", "return", "open", "edit", "rename",
        "archive", "unsubscribe from", "add a user to", "remove a user from", "move", "copy", "schedule", "pause", "resume", "embed",
    ];

    public static readonly string[] Triggers =
    [
        "the last update", "a password reset", "upgrading", "the migration", "a restart", "changing my plan", "moving office",
        "adding a new user", "the outage", "switching browsers", "renaming the workspace", "enabling SSO", "a firmware update",
        "the holiday break", "connecting the integration", "changing my email", "the price change", "reinstalling",
    ];

    public static readonly string[] Openers = ["Hi,", "Hello,", "Hi team,", "Hello support,", "Good morning,", "Hi there,", "Dear support,", "Hey,"];

    public static readonly string[] Closers = ["Thanks,", "Thank you,", "Best regards,", "Kind regards,", "Cheers,", "Thanks in advance,"];

    public static readonly string[] Asks =
    [
        "Could you please look into this?", "Can you help?", "What should I do?", "Is this a known issue?",
        "Please advise.", "How do I fix this?", "Can you refund the difference?", "We need this fixed today.",
        "Is there a workaround?", "Can you escalate this?",
    ];

    public static readonly string[] Since =
    [
        "since this morning", "since yesterday", "since last week", "since the update", "for a few days", "on and off for a month",
        "every time", "only on mobile", "only for some users", "after about ten minutes",
    ];

    public static readonly string[] StaffReplies =
    [
        "Thanks for reaching out, I am looking into this now.", "Could you send us a screenshot of the error?",
        "I have escalated this to our engineering team.", "This should now be fixed; please try again.",
        "I have issued the refund, it takes 3 to 5 business days.", "Could you tell us which browser and version you use?",
        "We are aware of the issue and working on a fix.", "I reset it on our side, please log in again.",
        "Your plan has been updated.", "I could not reproduce this; could you share the steps?",
        "The invoice has been corrected and re-sent.", "Please clear your cache and reload the page.",
        "A replacement has been shipped; here is the tracking number.", "I have merged the duplicate accounts.",
    ];

    public static readonly string[] CustomerReplies =
    [
        "Thanks, that worked.", "It is still happening.", "Here is the screenshot you asked for.", "Any update on this?",
        "I tried that but no luck.", "Great, thank you for the quick help!", "Chrome, latest version.", "It happens on every device.",
        "Can you call me instead?", "The refund has not arrived yet.", "That fixed it for me but not for my colleague.",
    ];

    public static readonly string[] InternalNotes =
    [
        "Checked the logs: {code} on {server}.", "Customer is on the {plan} plan; priority support applies.",
        "Escalating to tier 2.", "Known issue, linked to the incident.", "Refund approved by billing.",
        "Second ticket from this customer this week.", "Waiting for engineering.", "Duplicate of an earlier ticket.",
        "Customer sounded frustrated on the phone.", "Needs a follow-up call on Monday.",
    ];

    public static readonly string[] Servers = ["api-1", "api-2", "web-3", "worker-7", "eu-west-db", "us-east-lb", "mail-relay", "cdn-edge"];

    public static readonly string[] Tags =
    [
        "billing", "login", "bug", "refund", "how-to", "account", "feature-request", "mobile", "integration", "api",
        "invoice", "password", "shipping", "returns", "performance", "outage", "security", "sso", "export", "import",
        "vip", "escalated", "churn-risk", "onboarding", "hardware", "warranty", "firmware", "payments", "tax", "upgrade",
        "downgrade", "cancellation", "data-loss", "gdpr", "accessibility", "email", "notifications", "calendar", "sync", "printer",
        "wifi", "bluetooth", "android", "ios", "windows", "macos", "linux", "chrome", "firefox", "safari",
        "edge", "enterprise", "trial", "partner", "reseller", "education", "nonprofit", "duplicate", "spam", "follow-up",
        "needs-info", "known-issue", "regression", "docs", "translation", "ui", "reporting", "webhooks", "rate-limit", "timeout",
        "2fa", "audit", "permissions", "seats", "licensing", "coupon", "gift-card", "paypal", "bank-transfer", "chargeback",
        "fraud", "legal", "press", "compliment", "complaint", "survey", "beta", "migration", "backup", "restore",
    ];

    public static readonly string[] Channels = ["email", "web", "chat", "phone", "api"];

    public static readonly double[] ChannelWeights = [0.45, 0.25, 0.15, 0.10, 0.05];

    public static readonly string[] Plans = ["free", "pro", "business", "enterprise"];

    public static readonly double[] PlanWeights = [0.40, 0.35, 0.18, 0.07];

    public static readonly string[] Regions = ["eu", "us", "apac", "latam", "mea"];

    public static readonly double[] RegionWeights = [0.38, 0.36, 0.14, 0.07, 0.05];

    public static readonly string[] Browsers = ["Chrome 131", "Firefox 133", "Safari 18", "Edge 131", "Chrome 129", "Samsung Internet 26", "Opera 114"];

    public static readonly string[] FirstNames =
    [
        "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Leo", "Sofia", "Elias", "Amelia", "Ben", "Hannah", "Jonas",
        "Lea", "Paul", "Chloe", "Arjun", "Priya", "Wei", "Yuki", "Hiroshi", "Fatima", "Omar", "Aisha", "Mateo", "Valentina",
        "Diego", "Camila", "Luca", "Giulia", "Marco", "Anna", "Jan", "Eva", "Pieter", "Sanne", "Ingrid", "Lars", "Freya",
        "Oscar", "Nora", "Felix", "Clara", "Hugo", "Alice", "Louis", "Jade", "Tomás", "Inês", "Kofi", "Amara", "Chen", "Mei",
        "Ravi", "Ananya", "Sven", "Astrid", "Mikko", "Aino", "Zoe", "Ethan", "Grace", "Jack", "Ruby", "Samuel", "Ella",
    ];

    public static readonly string[] LastNames =
    [
        "Smith", "Müller", "Garcia", "Rossi", "Martin", "Johnson", "Kim", "Nguyen", "Silva", "Kowalski", "Jansen", "Dubois",
        "Schmidt", "Lopez", "Bianchi", "Bernard", "Williams", "Park", "Tran", "Santos", "Nowak", "de Vries", "Moreau",
        "Schneider", "Hernández", "Romano", "Petit", "Brown", "Lee", "Pham", "Oliveira", "Wiśniewski", "Bakker", "Laurent",
        "Fischer", "Martínez", "Colombo", "Durand", "Jones", "Choi", "Le", "Costa", "Wójcik", "Visser", "Leroy", "Weber",
        "González", "Ricci", "Lefebvre", "Taylor", "Singh", "Patel", "Khan", "Ahmed", "Okafor", "Mensah", "Tanaka", "Sato",
        "Wang", "Zhang", "Li", "Andersson", "Johansson", "Nielsen", "Hansen", "Virtanen", "Korhonen", "O'Brien", "Murphy",
    ];

    public static readonly string[] QueueNames =
    [
        "Technical Support", "Billing and Payments", "Accounts", "Orders and Shipping", "Returns and Refunds", "Sales",
        "Onboarding", "Integrations", "Mobile", "Security", "Enterprise", "Partners", "API", "Hardware", "Compliance",
        "Feedback", "Priority", "Outages", "Education", "Nonprofit",
    ];

    public static readonly string[] Teams = ["engineering", "billing", "logistics", "security", "success", "product"];

    /// <summary>Syllables for made-up product, feature and company names: the long tail of rare terms.</summary>
    public static readonly string[] Syllables =
    [
        "ka", "lo", "mi", "ra", "zen", "tor", "vex", "lu", "syn", "cor", "flo", "bri", "tek", "nova", "qu", "ix", "ar", "el",
        "on", "um", "pa", "dri", "sta", "ver", "mo", "lin", "gra", "phi", "ro", "sa", "ti", "ne", "xo", "ba", "fu", "ja",
    ];
}
