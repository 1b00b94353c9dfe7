using System.Text.Json.Nodes;
using AutoCrm.Sdk.Tests.Infrastructure;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class ResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CrmClient Client(ScriptedHandler handler, ListLoggerFactory? logs = null) => new(new CrmClientOptions
    {
        Url = new Uri("http://crm.test"),
        ApiKey = Stub.ApiKey,
        HttpMessageHandler = handler,
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(5),
        LoggerFactory = logs,
    });

    [Fact]
    public async Task Reads_are_retried_on_5xx_and_say_so_in_X_Retry_Count()
    {
        var handler = new ScriptedHandler((_, n) => Task.FromResult(n == 1 ? ScriptedHandler.Json(503, "{}") : ScriptedHandler.Json(200, "[]")));
        using var crm = Client(handler);

        await crm.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Equal([null, "1"], handler.Requests.Select(r => r.RetryCount));
    }

    [Fact]
    public async Task Plain_inserts_are_not_retried()
    {
        var handler = new ScriptedHandler((_, _) => Task.FromResult(ScriptedHandler.Json(503, "{}")));
        using var crm = Client(handler);

        var error = await Assert.ThrowsAsync<CrmException>(() => crm.Rest.From("tickets").Insert(new JsonObject { ["a"] = 1 }).ExecuteAsync(Ct));

        Assert.True(error.IsTransient);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Claims_are_not_retried()
    {
        var handler = new ScriptedHandler((_, _) => throw new HttpRequestException("reset"));
        using var crm = Client(handler);

        await Assert.ThrowsAsync<CrmException>(() => crm.Queues.ClaimNextAsync(cancellationToken: Ct));

        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_create_whose_response_was_lost_is_retried_with_the_same_id_and_read_back()
    {
        var handler = new ScriptedHandler((request, n) => n switch
        {
            1 => throw new HttpRequestException("connection reset after the server committed"),
            2 => Task.FromResult(ScriptedHandler.Json(201, "[]")),
            _ => Task.FromResult(ScriptedHandler.Json(200, Json.Ticket())),
        });
        using var crm = Client(handler);

        var ticket = await crm.Tickets.CreateAsync(new NewTicket { Subject = "Once" }, Ct);

        var requests = handler.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal(HttpMethod.Get, requests[2].Method);
        Assert.Equal(Json.TicketId, ticket.Id);
    }

    [Fact]
    public async Task Retry_After_sets_the_delay()
    {
        var logs = new ListLoggerFactory();
        var handler = new ScriptedHandler((_, n) => Task.FromResult(n == 1 ? ScriptedHandler.Json(429, "{}", ("Retry-After", "1")) : ScriptedHandler.Json(200, "[]")));
        using var crm = Client(handler, logs);

        await crm.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Contains(logs.Entries, e => e.Message.Contains("in 1000 ms after 429", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Auth_rate_limits_without_Retry_After_are_not_retried()
    {
        var handler = new ScriptedHandler((_, _) => Task.FromResult(ScriptedHandler.Json(
            429, """{"code":429,"error_code":"over_request_rate_limit","msg":"Request rate limit reached"}""")));
        using var crm = Client(handler);

        var error = await Assert.ThrowsAsync<CrmRateLimitedException>(() => crm.Auth.Admin.GetUserAsync(Guid.CreateVersion7(), Ct));

        Assert.Equal(1, handler.Count);
        Assert.Equal("over_request_rate_limit", error.Code);
    }

    [Fact]
    public async Task Auth_rate_limits_with_Retry_After_are_retried()
    {
        var handler = new ScriptedHandler((_, n) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(429, """{"error_code":"over_request_rate_limit","msg":"Request rate limit reached"}""", ("Retry-After", "0"))
            : ScriptedHandler.Json(200, """{"id":"a0000000-0000-4000-8000-000000000001","aud":"authenticated","role":"authenticated"}""")));
        using var crm = Client(handler);

        await crm.Auth.Admin.GetUserAsync(Guid.Parse("a0000000-0000-4000-8000-000000000001"), Ct);

        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Cancellation_interrupts_a_retry_delay()
    {
        var handler = new ScriptedHandler((_, _) => Task.FromResult(ScriptedHandler.Json(503, "{}", ("Retry-After", "300"))));
        using var crm = Client(handler);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var call = crm.Rest.From("tickets").ExecuteAsync(cts.Token);
        await handler.WaitForRequestAsync(1).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Logs_never_contain_tokens_passwords_or_bodies()
    {
        var logs = new ListLoggerFactory();
        var handler = new ScriptedHandler((request, _) => Task.FromResult(request.RequestUri!.AbsolutePath.EndsWith("/token", StringComparison.Ordinal)
            ? ScriptedHandler.Json(200, Json.Session("secret-access-token", "secret-refresh", DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()))
            : ScriptedHandler.Json(400, """{"code":"P0001","message":"nope"}""")));
        using var crm = Client(handler, logs);

        await crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "secret-password", Ct);
        await Assert.ThrowsAsync<CrmValidationException>(() => crm.Tickets.ReplyAsync(Json.TicketId, "secret body text", cancellationToken: Ct));

        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(logs.Entries, e =>
            e.Message.Contains("secret", StringComparison.Ordinal) || e.Message.Contains(Stub.ApiKey, StringComparison.Ordinal));
    }
}
