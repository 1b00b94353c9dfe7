using System.Text.RegularExpressions;
using AutoCrm.Sdk.Fields;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>Custom fields must not run beside other tests: a field required for customers holds every customer's new
/// ticket to it until it is archived.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class CustomFieldsCollection;

/// <summary>Custom ticket fields in the browser: an admin defines them, customers fill in theirs, agents all of them, and
/// the database's own messages appear next to the fields they name.</summary>
[Collection(typeof(CustomFieldsCollection))]
public sealed class CustomFieldsBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Admin_defines_a_required_dropdown_the_customer_gets_the_databases_error_and_never_an_agent_only_field() =>
        RunAsync(nameof(Admin_defines_a_required_dropdown_the_customer_gets_the_databases_error_and_never_an_agent_only_field), async () =>
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var plan = "plan_" + run;
            var secret = "secret_" + run;
            const string SecretValue = "gold-escalation-tier";
            using var adminSdk = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            try
            {
                // The admin defines a required dropdown in the admin page.
                var admin = await SignInAsync("admin@autocrm.demo", "Workspace");
                await admin.GotoAsync("/admin/fields");
                var form = admin.GetByTestId("new-field");
                await form.GetByLabel("Key", new() { Exact = true }).FillAsync(plan);
                await form.GetByLabel("Label", new() { Exact = true }).FillAsync("Plan " + run);
                await form.Locator("select[name=Type]").SelectOptionAsync("Dropdown");
                await form.GetByLabel("Options").FillAsync("free\npro | Pro plan\nenterprise");
                await form.GetByLabel("Customers fill it in").CheckAsync();
                await form.GetByLabel("Required for customers").CheckAsync();
                await admin.GetByTestId("create-field").ClickAsync();
                await Expect(admin.GetByTestId("field-row-" + plan)).ToContainTextAsync("fill in", Contains);

                // An agent-only field, arranged through the SDK.
                await adminSdk.Fields.CreateAsync(new NewTicketField { Key = secret, Label = "Secret " + run, Type = TicketFieldType.Text }, Ct);

                // The customer's form shows the dropdown; left empty, the database's refusal appears under it.
                var customer = await SignInAsync("carol@customer.demo", "My tickets");
                await customer.GotoAsync("/tickets/new");
                var planField = customer.GetByTestId("field-" + plan);
                await Expect(planField.GetByLabel("Plan " + run)).ToBeVisibleAsync(Visible);
                Assert.DoesNotContain(secret, await customer.ContentAsync(), StringComparison.Ordinal);
                await customer.GetByLabel("Subject").FillAsync("Upgrade question " + run);
                await customer.GetByLabel("Description").FillAsync("Which plan has SSO?");
                await customer.GetByRole(AriaRole.Button, new() { Name = "File ticket" }).ClickAsync();
                await Expect(planField.GetByTestId("field-error-" + plan)).ToContainTextAsync(new Regex($"^field \"{plan}\": .*required"), Contains);

                // Chosen, the ticket is filed and shows the option's label.
                await planField.GetByLabel("Plan " + run).SelectOptionAsync(new SelectOptionValue { Label = "Pro plan" });
                await customer.GetByRole(AriaRole.Button, new() { Name = "File ticket" }).ClickAsync();
                await Expect(customer.GetByTestId("field-value-" + plan)).ToHaveTextAsync("Pro plan", Text);
                var ticketPath = new Uri(customer.Url).PathAndQuery;

                // Staff see and edit every field on the ticket page, the agent-only one included.
                await admin.GotoAsync(ticketPath);
                var fields = admin.GetByTestId("fields-form");
                await fields.GetByLabel("Secret " + run).FillAsync(SecretValue);
                await fields.GetByLabel("Plan " + run).SelectOptionAsync("enterprise");
                await admin.GetByTestId("save-fields").ClickAsync();
                await Expect(admin.GetByTestId("field-value-" + secret)).ToHaveTextAsync(SecretValue, Text);
                await Expect(admin.GetByTestId("field-value-" + plan)).ToHaveTextAsync("enterprise", Text);

                // The customer's page shows the new plan, and nothing of the agent-only field: not its key, label or value.
                await customer.ReloadAsync();
                await Expect(customer.GetByTestId("field-value-" + plan)).ToHaveTextAsync("enterprise", Text);
                var source = await customer.ContentAsync();
                Assert.DoesNotContain(secret, source, StringComparison.Ordinal);
                Assert.DoesNotContain("Secret " + run, source, StringComparison.Ordinal);
                Assert.DoesNotContain(SecretValue, source, StringComparison.Ordinal);
            }
            finally
            {
                // Archived fields are never required: other tests' customers file tickets freely again.
                foreach (var key in new[] { plan, secret })
                {
                    try
                    {
                        await adminSdk.Fields.ArchiveAsync(key, Ct);
                    }
                    catch (AutoCrm.Sdk.CrmNotFoundException)
                    {
                        // Not defined: the test failed before defining it.
                    }
                }
            }
        });

    [Fact]
    public Task Admin_edits_a_field_that_tickets_use_and_sees_the_databases_refusal_beside_the_form() =>
        RunAsync(nameof(Admin_edits_a_field_that_tickets_use_and_sees_the_databases_refusal_beside_the_form), async () =>
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var tier = "tier_" + run;
            using var adminSdk = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            await adminSdk.Fields.CreateAsync(new NewTicketField
            {
                Key = tier, Label = "Tier " + run, Type = TicketFieldType.Dropdown, CustomerVisible = true,
                Options = [new TicketFieldOption { Value = "gold", Label = "Gold" }, new TicketFieldOption { Value = "silver", Label = "Silver" }],
            }, Ct);
            try
            {
                var ticket = await adminSdk.Tickets.CreateAsync(new AutoCrm.Sdk.Tickets.NewTicket
                {
                    Subject = "Edited field " + run,
                    Metadata = AutoCrm.Sdk.CrmMetadata.Empty.WithFieldValue(tier, TicketFieldValue.Option("silver")),
                }, Ct);

                var admin = await SignInAsync("admin@autocrm.demo", "Workspace");
                await admin.GotoAsync("/admin/fields");
                await admin.GetByTestId("edit-field-" + tier).ClickAsync();
                var form = admin.GetByTestId("edit-field");
                await Expect(form.GetByLabel("Options")).ToHaveValueAsync("gold | Gold\nsilver | Silver", new() { Timeout = 30_000 });

                // No options at all: the database refuses, its message appears beside the form, and what was typed stays.
                await form.GetByLabel("Label", new() { Exact = true }).FillAsync("Service tier " + run);
                await form.GetByLabel("Options").FillAsync("");
                await admin.GetByTestId("save-field").ClickAsync();
                await Expect(admin.GetByTestId("edit-field-error")).ToHaveTextAsync($"field \"{tier}\": dropdown fields need a non-empty options array of {{\"value\", \"label\"}}", Text);
                await Expect(form.GetByLabel("Label", new() { Exact = true })).ToHaveValueAsync("Service tier " + run, new() { Timeout = 30_000 });

                // Dropping an option tickets use and making the field agent-only are allowed: the ticket keeps its value.
                await form.GetByLabel("Options").FillAsync("gold | Gold\nplatinum | Platinum");
                await form.GetByLabel("Customers see it").UncheckAsync();
                await admin.GetByTestId("save-field").ClickAsync();
                await Expect(admin.GetByTestId("field-row-" + tier)).ToContainTextAsync("Service tier " + run, Contains);
                await Expect(admin.GetByTestId("field-row-" + tier)).ToContainTextAsync("agents only", Contains);
                var field = await adminSdk.Fields.GetAsync(tier, Ct);
                Assert.Equal(["gold", "platinum"], field.Options.Select(o => o.Value));
                Assert.False(field.CustomerVisible);
                Assert.Equal("silver", (await adminSdk.Fields.GetValuesAsync(ticket.Id, Ct)).GetFieldValue(tier).AsText());
            }
            finally
            {
                await adminSdk.Fields.ArchiveAsync(tier, Ct);
            }
        });
}
