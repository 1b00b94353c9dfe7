namespace AutoCrm.Sdk.Rest;

/// <summary>Which PostgreSQL function parses a full-text query.</summary>
public enum TextSearchType
{
    /// <summary><c>to_tsquery</c> (<c>fts</c>): the query uses tsquery syntax (<c>a &amp; b</c>).</summary>
    Query,

    /// <summary><c>plainto_tsquery</c> (<c>plfts</c>): plain words, all required.</summary>
    Plain,

    /// <summary><c>phraseto_tsquery</c> (<c>phfts</c>): the words as a phrase.</summary>
    Phrase,

    /// <summary><c>websearch_to_tsquery</c> (<c>wfts</c>): search-engine syntax (quotes, <c>or</c>, <c>-</c>).</summary>
    WebSearch,
}
