using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tests.Infrastructure;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class ErrorMappingTests : IDisposable
{
    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public ErrorMappingTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<CrmException> FailWith(int status, string body, params (string, string)[] headers)
    {
        _stub.Reply("GET", "/rest/v1/tickets", status, body, headers);
        return await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Rest.From("tickets").ExecuteAsync(Ct));
    }

    [Fact]
    public async Task PostgREST_error_body_becomes_a_CrmException_with_every_field()
    {
        var error = await FailWith(400, """{"code":"22P02","message":"invalid input syntax for type uuid: \"x\"","details":"some detail","hint":"some hint"}""", ("x-request-id", "req-1"));

        Assert.IsType<CrmValidationException>(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("22P02", error.Code);
        Assert.Equal("invalid input syntax for type uuid: \"x\"", error.Message);
        Assert.Equal("some detail", error.Details);
        Assert.Equal("some hint", error.Hint);
        Assert.Equal("req-1", error.RequestId);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Single_row_read_with_zero_rows_is_not_found()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 406, """{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 0 rows","hint":null}""");

        var error = await Assert.ThrowsAsync<CrmNotFoundException>(() => _crm.Tickets.GetAsync(Json.TicketId, cancellationToken: Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal("not_found", error.Code);
        Assert.Equal($"Ticket {Json.TicketId} does not exist or is not visible to the caller.", error.Message);
        Assert.Contains("406 PGRST116", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_general_single_row_read_with_zero_rows_is_a_404_not_found()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 406, """{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 0 rows","hint":null}""");

        var error = await Assert.ThrowsAsync<CrmNotFoundException>(() => _crm.Rest.From("tickets").SingleAsync(CrmJsonContext.Default.JsonElement, Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal("not_found", error.Code);
        Assert.DoesNotContain("coerce", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Single_row_read_with_several_rows_is_a_plain_error()
    {
        var error = await FailWith(406, """{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 2 rows","hint":null}""");

        Assert.IsType<CrmException>(error);
    }

    [Theory]
    [InlineData(404, """{"code":"PGRST205","message":"Could not find the table 'public.x' in the schema cache","details":null,"hint":null}""", typeof(CrmNotFoundException))]
    [InlineData(409, """{"code":"23505","message":"duplicate key value violates unique constraint","details":"Key (slug)=(a) already exists.","hint":null}""", typeof(CrmConflictException))]
    [InlineData(409, """{"code":"23503","message":"insert or update violates foreign key constraint","details":null,"hint":null}""", typeof(CrmConflictException))]
    [InlineData(401, """{"code":"PGRST303","message":"JWT expired","details":null,"hint":null}""", typeof(CrmAuthException))]
    [InlineData(403, """{"code":"42501","message":"new row violates row-level security policy for table \"tickets\"","details":null,"hint":null}""", typeof(CrmForbiddenException))]
    [InlineData(401, """{"code":"42501","message":"permission denied for table tickets","details":null,"hint":null}""", typeof(CrmAuthException))]
    [InlineData(401, """{"message":"Invalid API key","hint":"Double check your Supabase `anon` or `service_role` API key."}""", typeof(CrmAuthException))]
    [InlineData(429, """{"code":"over_request_rate_limit","message":"Request rate limit reached"}""", typeof(CrmRateLimitedException))]
    [InlineData(400, """{"code":"21000","message":"DELETE requires a WHERE clause","details":null,"hint":null}""", typeof(CrmValidationException))]
    [InlineData(500, """{"code":"XX000","message":"internal error","details":null,"hint":null}""", typeof(CrmException))]
    public async Task Status_and_code_choose_the_exception_type(int status, string body, Type expected)
    {
        var error = await FailWith(status, body);

        Assert.IsType(expected, error);
        Assert.Equal(status, error.Status);
    }

    [Fact]
    public async Task Rate_limit_carries_Retry_After_and_is_transient()
    {
        var error = await FailWith(429, """{"message":"slow down"}""", ("Retry-After", "7"));

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.True(error.IsTransient);
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(408, true)]
    [InlineData(400, false)]
    [InlineData(422, false)]
    public async Task Transient_statuses_are_marked(int status, bool transient)
    {
        var error = await FailWith(status, """{"code":"PGRST000","message":"x"}""");

        Assert.Equal(transient, error.IsTransient);
    }

    [Fact]
    public async Task Non_JSON_error_body_becomes_the_message()
    {
        var error = await FailWith(502, "Bad gateway from the proxy");

        Assert.Equal("Bad gateway from the proxy", error.Message);
        Assert.Null(error.Code);
    }

    [Theory]
    [InlineData(400, """{"code":"invalid_credentials","message":"Invalid login credentials"}""", "invalid_credentials", typeof(CrmAuthException))]
    [InlineData(400, """{"code":400,"error_code":"invalid_credentials","msg":"Invalid login credentials"}""", "invalid_credentials", typeof(CrmAuthException))]
    [InlineData(400, """{"error":"invalid_grant","error_description":"Invalid Refresh Token"}""", "invalid_grant", typeof(CrmAuthException))]
    [InlineData(422, """{"code":"user_already_exists","message":"User already registered"}""", "user_already_exists", typeof(CrmConflictException))]
    [InlineData(422, """{"code":"weak_password","message":"Password should be at least 6 characters.","weak_password":{"reasons":["length"]}}""", "weak_password", typeof(CrmValidationException))]
    [InlineData(403, """{"code":"not_admin","message":"User not allowed"}""", "not_admin", typeof(CrmForbiddenException))]
    public async Task Auth_error_shapes_map_to_code_message_and_type(int status, string body, string code, Type expected)
    {
        _stub.Reply("POST", "/auth/v1/token", status, body);

        var error = await Assert.ThrowsAnyAsync<CrmException>(() => _crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct));

        Assert.IsType(expected, error);
        Assert.Equal(code, error.Code);
        Assert.Equal(status, error.Status);
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public async Task Auth_error_code_header_is_used_when_the_body_has_none()
    {
        _stub.Reply("POST", "/auth/v1/token", 400, """{"message":"Email not confirmed"}""", ("x-sb-error-code", "email_not_confirmed"));

        var error = await Assert.ThrowsAsync<CrmAuthException>(() => _crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct));

        Assert.Equal("email_not_confirmed", error.Code);
    }

    [Fact]
    public async Task Transport_failure_is_a_transient_CrmException()
    {
        var handler = new ScriptedHandler((_, _) => throw new HttpRequestException("connection refused"));
        using var crm = _stub.Client(handler: handler);

        var error = await Assert.ThrowsAsync<CrmException>(() => crm.Rest.From("tickets").ExecuteAsync(Ct));

        Assert.Equal("transport", error.Code);
        Assert.Equal(0, error.Status);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Cancellation_passes_through_untouched()
    {
        var handler = new ScriptedHandler((_, _) => new TaskCompletionSource<HttpResponseMessage>().Task);
        using var crm = _stub.Client(handler: handler);
        using var cts = new CancellationTokenSource();

        var call = crm.Rest.From("tickets").ExecuteAsync(cts.Token);
        await handler.WaitForRequestAsync(1).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public void Errors_built_by_the_SDK_keep_their_type_rules()
    {
        Assert.IsType<CrmConflictException>(CrmErrors.Create(new CrmErrorInfo { Status = 409, Message = "x" }));
        Assert.IsType<CrmNotFoundException>(CrmErrors.Create(new CrmErrorInfo { Status = 404, Message = "x" }));
        Assert.IsAssignableFrom<CrmException>(new CrmRealtimeException("socket closed"));
    }
}
