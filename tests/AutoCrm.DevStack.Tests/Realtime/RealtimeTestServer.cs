using AutoCrm.DevStack.Realtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>
/// Just the Realtime endpoints on Kestrel over a <see cref="ScratchPostgres"/>: the same AddDevStackRealtime /
/// MapDevStackRealtime the DevStack host calls, with a test-chosen clock and buffer size.
/// </summary>
internal sealed class RealtimeTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RealtimeTestServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public RealtimeService Service => _app.Services.GetRequiredService<RealtimeService>();

    public static async Task<RealtimeTestServer> StartAsync(string connectionString, TimeProvider? time = null, int sendBufferFrames = 1024, TimeSpan? closeTimeout = null, TimeSpan? shutdownTimeout = null, RealtimeLimits? limits = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var clock = time ?? TimeProvider.System;
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(new RealtimeOptions { AdminConnectionString = connectionString, SendBufferFrames = sendBufferFrames, CloseTimeout = closeTimeout ?? TimeSpan.FromSeconds(5), Limits = limits ?? new RealtimeLimits() });
        builder.Services.AddSingleton<IRealtimeTokenVerifier>(new HmacRealtimeTokenVerifier(TestTokens.Secret, clock));
        if (shutdownTimeout is { } cap)
        {
            builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = cap);
        }

        builder.Services.AddDevStackRealtime();
        var app = builder.Build();
        app.UseWebSockets();
        app.MapDevStackRealtime();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RealtimeTestServer(app, new Uri(address));
    }

    public int DropConnections() => RealtimeEndpoints.DropConnections(_app.Services);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
