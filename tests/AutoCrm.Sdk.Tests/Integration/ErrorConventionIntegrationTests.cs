using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>The error rules of docs/sdk-conventions.md, against a real DevStack: one typed exception per kind of failure,
/// messages fit for users, constraint names and PostgREST codes only in <see cref="CrmException.Details"/>.</summary>
public sealed class ErrorConventionIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reading_an_unknown_ticket_is_a_404_not_found_naming_the_ticket()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var id = Guid.NewGuid();

        var error = await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Tickets.GetAsync(id, cancellationToken: Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal("not_found", error.Code);
        Assert.Equal($"Ticket {id} does not exist or is not visible to the caller.", error.Message);
        Assert.Contains("PGRST116", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_subject_is_refused_before_sending()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = " " }, Ct));

        Assert.Equal("subject", error.Field);
        Assert.Equal("invalid_value", error.Code);
    }

    [Fact]
    public async Task A_subject_the_database_refuses_names_the_field_not_the_constraint()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var tooLong = new string('x', 301);

        // The general builder sends it as is, so the database's own check answers.
        var error = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Rest.From("tickets")
            .Insert(new System.Text.Json.Nodes.JsonObject { ["subject"] = tooLong }).ExecuteAsync(Ct));

        Assert.Equal("subject", error.Field);
        Assert.Equal("23514", error.Code);
        Assert.Equal("The subject must be 1 to 300 characters and not only spaces.", error.Message);
        Assert.Contains("tickets_subject_length", error.Details, StringComparison.Ordinal);
        Assert.Equal(error.Message, (await Assert.ThrowsAsync<CrmValidationException>(
            () => customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = tooLong }, Ct))).Message);
    }

    [Fact]
    public async Task A_weak_password_is_a_validation_error_on_the_password()
    {
        using var crm = stack.Client();

        var error = await Assert.ThrowsAsync<CrmValidationException>(() => crm.Auth.SignUpAsync(DevStackFixture.UniqueEmail("weak"), "1", cancellationToken: Ct));

        Assert.Equal("password", error.Field);
        Assert.Equal("weak_password", error.Code);
    }

    [Fact]
    public async Task A_page_size_out_of_range_is_refused_when_the_listing_is_made()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        var error = Assert.Throws<CrmValidationException>(() => customer.Crm.Tickets.ListAsync(new TicketQuery { PageSize = 5000 }, Ct));

        Assert.Equal("page_size", error.Field);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_customer_writing_an_internal_note_is_forbidden_not_asked_to_sign_in()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Notes are for staff" }, Ct);

        var error = await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Tickets.AddInternalNoteAsync(ticket.Id, "psst", cancellationToken: Ct));

        Assert.Equal(403, error.Status);
        Assert.IsNotType<CrmAuthException>(error, exactMatch: false);
    }

    [Fact]
    public async Task After_signing_out_ticket_calls_say_not_signed_in()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Mine" }, Ct);

        await customer.Crm.Auth.SignOutAsync(cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CrmAuthException>(() => customer.Crm.Tickets.GetAsync(Guid.NewGuid(), cancellationToken: Ct));
        Assert.Equal("session_missing", error.Code);
        Assert.Equal(401, error.Status);
    }

    [Fact]
    public async Task The_service_key_needs_no_user()
    {
        var ticket = await stack.Service.Tickets.CreateAsync(new NewTicket { Subject = "Back office", RequesterId = (await stack.CreateUserAsync(UserRole.Customer)).Id }, Ct);

        Assert.Equal(ticket.Id, (await stack.Service.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).Id);
        Assert.False(stack.Service.Connection.IsAnonymousKey);
    }
}

/// <summary>The exception convention check itself: it sees failures, and it tells the allowed types from the others.</summary>
public sealed class ExceptionConventionCheckTests(DevStackFixture stack)
{
    [Fact]
    public async Task The_check_sees_exceptions_leaving_public_calls_and_knows_the_allowed_types()
    {
        var before = ExceptionConventionAttribute.FailuresSeen;
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Tickets.GetAsync(Guid.NewGuid(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.True(ExceptionConventionAttribute.FailuresSeen > before);
        Assert.True(ExceptionConventionAttribute.IsAllowed(typeof(CrmNotFoundException).FullName!));
        Assert.True(ExceptionConventionAttribute.IsAllowed(typeof(ArgumentNullException).FullName!));
        Assert.False(ExceptionConventionAttribute.IsAllowed(typeof(ArgumentException).FullName!));
        Assert.False(ExceptionConventionAttribute.IsAllowed(typeof(System.Text.Json.JsonException).FullName!));
        Assert.False(ExceptionConventionAttribute.IsAllowed(typeof(InvalidOperationException).FullName!));
    }
}
