using System.Reactive.Linq;
using System.Reactive.Subjects;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary><see cref="RealtimeStream.Create{T}"/>: a stream over any observable, as a consumer fakes realtime in unit tests.</summary>
public sealed class RealtimeStreamFactoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stream_over_an_observable_is_live_once_subscribed_and_passes_items_through()
    {
        var source = new Subject<TicketStatusChanged>();
        var stream = RealtimeStream.Create(source);
        var recorder = new Recorder<TicketStatusChanged>();

        Assert.Equal("not_subscribed", Assert.Throws<CrmException>(() => { _ = stream.WhenLiveAsync(Ct); }).Code);
        using var subscription = await stream.SubscribeAsync(recorder, Ct).Within();
        var change = new TicketStatusChanged { TicketId = Guid.NewGuid(), From = TicketStatus.New, To = TicketStatus.Open, EventId = 7 };
        source.OnNext(change);

        Assert.Same(change, await recorder.NextAsync());
        await stream.WhenLiveAsync(Ct).Within();
    }

    [Fact]
    public void Subscribers_share_one_subscription_to_the_source_and_release_it_after_the_last()
    {
        var subscriptions = 0;
        var active = 0;
        var source = Observable.Create<int>(_ =>
        {
            subscriptions++;
            active++;
            return () => active--;
        });
        var stream = RealtimeStream.Create(source);

        var first = stream.Subscribe(_ => { });
        var second = stream.Where(i => i > 0).Subscribe(_ => { });
        Assert.Equal((1, 1), (subscriptions, active));
        first.Dispose();
        Assert.Equal(1, active);
        second.Dispose();
        Assert.Equal(0, active);

        using var third = stream.Subscribe(_ => { });
        Assert.Equal((2, 1), (subscriptions, active));
    }

    [Fact]
    public async Task Liveness_drives_WhenLiveAsync_including_a_simulated_drop()
    {
        var live = new BehaviorSubject<bool>(false);
        var stream = RealtimeStream.Create(new Subject<int>(), live);
        using var subscription = stream.Subscribe(_ => { });

        var waiting = stream.WhenLiveAsync(Ct);
        Assert.False(waiting.IsCompleted);
        live.OnNext(true);
        await waiting.Within();

        live.OnNext(false);
        var again = stream.WhenLiveAsync(Ct);
        Assert.False(again.IsCompleted);
        live.OnNext(true);
        await again.Within();
    }

    [Fact]
    public async Task A_failing_source_ends_the_stream_with_its_error_for_the_observer_and_the_live_wait()
    {
        var source = new Subject<int>();
        var stream = RealtimeStream.Create(source, new BehaviorSubject<bool>(false));
        var recorder = new Recorder<int>();
        using var subscription = stream.Subscribe(recorder);
        var waiting = stream.WhenLiveAsync(Ct);

        var error = new CrmRealtimeException("The user signed out; realtime subscriptions ended.");
        source.OnError(error);

        Assert.Same(error, await recorder.Error.Task.Within());
        Assert.Same(error, await Assert.ThrowsAsync<CrmRealtimeException>(() => waiting.Within()));
    }

    [Fact]
    public async Task A_completing_source_completes_the_observer_and_cancels_a_pending_live_wait()
    {
        var source = new Subject<int>();
        var stream = RealtimeStream.Create(source, new BehaviorSubject<bool>(false));
        var recorder = new Recorder<int>();
        using var subscription = stream.Subscribe(recorder);
        var waiting = stream.WhenLiveAsync(Ct);

        source.OnCompleted();

        await recorder.Completed.Task.Within();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
    }
}
