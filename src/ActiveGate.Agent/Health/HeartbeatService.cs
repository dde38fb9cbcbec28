using Microsoft.Extensions.Hosting;

namespace ActiveGate.Agent.Health;

/// <summary>
/// The host's own health source: proves timers and the thread pool still run. Parts with real
/// loops (radio, CoAP, upstream) register their own sources.
/// </summary>
public sealed class HeartbeatService : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly HealthSource _source;
    private readonly TimeProvider _timeProvider;

    public HeartbeatService(HealthRegistry health, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(health);
        _source = health.Register("host", Period * 10);
        _timeProvider = timeProvider;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, _timeProvider);
        try
        {
            do
            {
                _source.ReportProgress("running");
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
