namespace AutoCrm.DevStack.Postgres;

/// <summary>A migration or seed file failed; its transaction was rolled back.</summary>
internal sealed class MigrationException : Exception
{
    public MigrationException(string fileName, int? line, string? sqlState, string postgresMessage, Exception? innerException, string? advice = null)
        : base(Format(fileName, line, sqlState, postgresMessage) + (advice is null ? string.Empty : " " + advice), innerException)
    {
        FileName = fileName;
        Line = line;
        SqlState = sqlState;
        PostgresMessage = postgresMessage;
    }

    /// <summary>The file that failed, e.g. <c>20240101000000_init.sql</c>.</summary>
    public string FileName { get; }

    /// <summary>1-based line in the file where PostgreSQL located the error (the failing statement's first line when it gave no position).</summary>
    public int? Line { get; }

    /// <summary>The SQLSTATE, when the error came from PostgreSQL.</summary>
    public string? SqlState { get; }

    /// <summary>PostgreSQL's message text.</summary>
    public string PostgresMessage { get; }

    private static string Format(string fileName, int? line, string? sqlState, string message)
    {
        var where = line is { } l ? $"{fileName}:{l}" : fileName;
        var code = sqlState is null ? string.Empty : $" (SQLSTATE {sqlState})";
        return $"{where}: {message}{code}. The file's changes were rolled back.";
    }
}
