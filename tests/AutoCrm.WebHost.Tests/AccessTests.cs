using System.Net;
using System.Net.Http.Headers;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Tests;

/// <summary>Routes, sign-in and who may open what, through real HTTP requests against the app.</summary>
public sealed class AccessTests(WebHostFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_answers_without_signing_in()
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Sign_in_page_lists_the_demo_accounts_in_demo_mode()
    {
        using var client = app.CreateClient();
        var html = await client.GetStringAsync("/signin", Ct);
        Assert.Contains("agent.alice@autocrm.demo", html, StringComparison.Ordinal);
        Assert.Contains("carol@customer.demo", html, StringComparison.Ordinal);
        Assert.Contains("autocrm-demo", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_carry_a_content_security_policy_without_inline_scripts()
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/signin", Ct);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/tickets")]
    [InlineData("/agent")]
    [InlineData("/admin/queues")]
    public async Task Anonymous_visitors_are_sent_to_sign_in(string path)
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin?returnUrl=", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_sets_no_session()
    {
        using var client = app.CreateClient();
        using var response = await WebHostFixture.PostFormAsync(
            client, "/signin", new() { ["Email"] = "carol@customer.demo", ["Password"] = "not-the-password" }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong email or password", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("autocrm.sid=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Session_cookie_is_opaque_http_only_and_same_site_strict()
    {
        using var client = app.CreateClient();
        using var response = await WebHostFixture.PostFormAsync(
            client, "/signin", new() { ["Email"] = "carol@customer.demo", ["Password"] = WebHostFixture.DemoPassword }, Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("autocrm.sid=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("eyJ", cookie, StringComparison.Ordinal); // no JWT in the cookie
    }

    [Fact]
    public async Task Customer_sees_own_tickets_and_no_tokens_in_the_page()
    {
        using var client = await app.SignInAsync("carol@customer.demo", Ct);
        using var response = await client.GetAsync("/tickets", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("My tickets", html, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/agent")]
    [InlineData("/agent/queues/general")]
    [InlineData("/admin/queues")]
    [InlineData("/admin/users")]
    [InlineData("/admin/fields")]
    [InlineData("/admin/fields/plan")]
    [InlineData("/admin/rules")]
    [InlineData("/admin/rules/edit")]
    [InlineData("/admin/macros")]
    [InlineData("/agent/views")]
    [InlineData("/live/views")]
    [InlineData("/agent/breaching")]
    [InlineData("/live/sla")]
    [InlineData("/admin/sla")]
    public async Task Customer_is_forbidden_from_agent_and_admin_pages(string path)
    {
        using var client = await app.SignInAsync("carol@customer.demo", Ct);
        using var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Not allowed", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("status:open \"unterminated")]
    [InlineData("created>yesterday printer")]
    [InlineData("(((( ))) ' \\ -- ; drop table tickets")]
    public async Task Any_search_text_gets_a_page_never_a_server_error_or_raw_markup(string query)
    {
        using var client = await app.SignInAsync("carol@customer.demo", Ct);
        using var response = await client.GetAsync("/search?q=" + Uri.EscapeDataString(query), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("Search", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Customer_gets_404_for_another_customers_ticket()
    {
        using var dave = await app.SdkAsAsync("dave@customer.demo", Ct);
        var ticket = await dave.Tickets.CreateAsync(new NewTicket { Subject = "Dave private ticket " + Guid.NewGuid() }, Ct);
        using var carol = await app.SignInAsync("carol@customer.demo", Ct);
        using var daveWeb = await app.SignInAsync("dave@customer.demo", Ct);

        using var forCarol = await carol.GetAsync($"/tickets/{ticket.Number}", Ct);
        using var forDave = await daveWeb.GetAsync($"/tickets/{ticket.Number}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, forCarol.StatusCode);
        Assert.DoesNotContain(ticket.Subject, await forCarol.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, forDave.StatusCode);
        Assert.Contains(ticket.Subject, await forDave.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_for_api_clients_are_problem_details_without_stack_traces()
    {
        using var client = await app.SignInAsync("carol@customer.demo", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/tickets/987654321");
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"status\":404", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Customer_cannot_open_a_queue_event_stream()
    {
        using var staff = await app.SdkAsAsync("agent.alice@autocrm.demo", Ct);
        var general = await staff.Queues.GetBySlugAsync("general", Ct);
        using var client = await app.SignInAsync("carol@customer.demo", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/live/queues/{general.Id}");
        request.Headers.Accept.Clear();
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Agent_opens_the_workspace_and_queue_board_but_not_admin()
    {
        using var client = await app.SignInAsync("agent.bob@autocrm.demo", Ct);
        using var workspace = await client.GetAsync("/agent", Ct);
        using var board = await client.GetAsync("/agent/queues/general", Ct);
        using var admin = await client.GetAsync("/admin/queues", Ct);
        Assert.Equal(HttpStatusCode.OK, workspace.StatusCode);
        Assert.Equal(HttpStatusCode.OK, board.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
    }

    [Fact]
    public async Task Admin_creates_a_queue_through_the_form()
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        var slug = "web-" + Guid.NewGuid().ToString("N")[..8];
        using var response = await WebHostFixture.PostFormAsync(
            client, "/admin/queues?handler=Create", new() { ["Name"] = "Web " + slug, ["Slug"] = slug }, Ct, formPage: "/admin/queues");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var page = await client.GetStringAsync("/admin/queues", Ct);
        Assert.Contains("Web " + slug, page, StringComparison.Ordinal);
        using var users = await client.GetAsync("/admin/users", Ct);
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
    }

    [Fact]
    public async Task Forms_without_an_antiforgery_token_are_rejected()
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "No token", ["Slug"] = "no-token" });
        using var response = await client.PostAsync("/admin/queues?handler=Create", content, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Signing_out_ends_the_server_side_session()
    {
        using var client = app.CreateClient();
        using var signIn = await WebHostFixture.PostFormAsync(
            client, "/signin", new() { ["Email"] = "erin@customer.demo", ["Password"] = WebHostFixture.DemoPassword }, Ct);
        var sid = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("autocrm.sid=", StringComparison.Ordinal)).Split(';')[0];

        using var signOut = await WebHostFixture.PostFormAsync(client, "/signout", [], Ct, formPage: "/tickets");
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        // Replaying the old cookie must not work: the session is gone on the server, not just in this browser.
        using var replay = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/tickets");
        request.Headers.Add("Cookie", sid);
        request.Headers.Accept.ParseAdd("text/html");
        using var after = await replay.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }
}
