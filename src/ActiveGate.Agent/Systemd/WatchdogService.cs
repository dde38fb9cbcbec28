using System.Globalization;
using ActiveGate.Agent.Health;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Agent.Systemd;

/// <summary>
/// Pets the systemd watchdog. <c>AddSystemd()</c> only sends READY=1 and STOPPING=1, so this sends
/// WATCHDOG=1 every half <c>WATCHDOG_USEC</c> (sd_watchdog_enabled(3)) — but only while every
/// health source is progressing: a wedged loop must get the service restarted.
/// </summary>
public sealed partial class WatchdogService : BackgroundService
{
    private readonly ISystemdNotifier _notifier;
    private readonly HealthRegistry _health;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<WatchdogService> _logger;
    private readonly TimeSpan? _interval;
    private long _pings;

    public WatchdogService(ISystemdNotifier notifier, HealthRegistry health, TimeProvider timeProvider, ILogger<WatchdogService> logger)
        : this(notifier, health, timeProvider, logger, Environment.GetEnvironmentVariable)
    {
    }

    internal WatchdogService(ISystemdNotifier notifier, HealthRegistry health, TimeProvider timeProvider, ILogger<WatchdogService> logger, Func<string, string?> getEnvironmentVariable)
    {
        _notifier = notifier;
        _health = health;
        _timeProvider = timeProvider;
        _logger = logger;
        _interval = ReadPingInterval(getEnvironmentVariable, Environment.ProcessId);
    }

    /// <summary>How often WATCHDOG=1 is sent, or null when systemd asked for no watchdog.</summary>
    public TimeSpan? PingInterval => _interval;

    public long PingsSent => Interlocked.Read(ref _pings);

    /// <summary>Half of WATCHDOG_USEC, when it is set, valid, and meant for this process (WATCHDOG_PID).</summary>
    internal static TimeSpan? ReadPingInterval(Func<string, string?> getEnvironmentVariable, int processId)
    {
        string? usec = getEnvironmentVariable("WATCHDOG_USEC");
        if (string.IsNullOrEmpty(usec) || !ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong microseconds) || microseconds == 0)
        {
            return null;
        }

        string? pid = getEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != processId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(microseconds / 2);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_interval is not TimeSpan interval || !_notifier.IsEnabled)
        {
            LogDisabled(_logger);
            return;
        }

        LogEnabled(_logger, interval.TotalMilliseconds);
        bool withheld = false;
        using var timer = new PeriodicTimer(interval, _timeProvider);
        do
        {
            if (_health.AllProgressing(out string? unhealthy))
            {
                _notifier.Notify(new ServiceState("WATCHDOG=1"));
                Interlocked.Increment(ref _pings);
                if (withheld)
                {
                    LogResumed(_logger);
                    withheld = false;
                }
            }
            else if (!withheld)
            {
                // Logged once per episode: systemd will restart us when WatchdogSec runs out.
                LogWithheld(_logger, unhealthy!);
                withheld = true;
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async ValueTask<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "systemd watchdog not requested; not pinging")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "systemd watchdog enabled, pinging every {IntervalMs} ms while all parts progress")]
    private static partial void LogEnabled(ILogger logger, double intervalMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Withholding watchdog pings: {Unhealthy}")]
    private static partial void LogWithheld(ILogger logger, string unhealthy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "All parts progressing again; watchdog pings resumed")]
    private static partial void LogResumed(ILogger logger);
}
