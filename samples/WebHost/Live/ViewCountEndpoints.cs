using System.Net.ServerSentEvents;
using System.Reactive.Linq;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Realtime;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Search;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AutoCrm.WebHost.Live;

/// <summary>
/// <c>/live/views</c>: a "change" event whenever the count of one of the viewer's saved views changes
/// (<c>crm.Views.LiveCount</c>, subscribed with the viewer's token). The page then re-reads its views fragment.
/// </summary>
internal static class ViewCountEndpoints
{
    public static RouteGroupBuilder MapViewCounts(this RouteGroupBuilder live)
    {
        live.MapGet("/views", ViewsAsync).RequireAuthorization(WebHostSetup.StaffPolicy);
        return live;
    }

    private static async Task<ServerSentEventsResult<string>> ViewsAsync(
        HttpContext context, CrmSessionStore store, UserCrm user, TimeProvider time)
    {
        var (crm, until) = await LiveEndpoints.OpenAsync(store, user, context.RequestAborted);
        var streams = new List<RealtimeStream<long>>();
        var events = Observable.Never<SseItem<string>>();
        foreach (var view in await SavedViewCounts.ListAsync(crm, context.RequestAborted))
        {
            try
            {
                var counts = crm.Views.LiveCount(view);
                streams.Add(counts);
                events = events.Merge(counts.Select(n => LiveEndpoints.Change("view", view.Id, n.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }
            catch (CrmValidationException)
            {
                // A view whose query no longer parses has no count to follow.
            }
        }

        return TypedResults.ServerSentEvents(LiveEndpoints.StreamAsync(
            crm, events, ct => Task.WhenAll(streams.Select(s => s.WhenLiveAsync(ct))), null, until, time, context.RequestAborted));
    }
}
