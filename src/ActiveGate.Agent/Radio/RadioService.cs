using ActiveGate.Agent.Health;
using ActiveGate.Agent.Options;
using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Radio;
using ActiveGate.Radio.Capture;
using ActiveGate.Radio.Serial;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Radio;

/// <summary>
/// Owns the radio link: opens it, applies channel and PAN id, keeps retrying while the board is
/// unplugged, and reports its state to the health registry (degraded while down, never stalled:
/// a restart would not bring the board back).
/// </summary>
public sealed partial class RadioService : BackgroundService
{
    private readonly RadioOptions _options;
    private readonly ILogger<RadioService> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly HealthSource? _health;
    private readonly TaskCompletionSource<IRadioLink> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RadioTapHub _taps = new();
    private SerialRadioLink? _link;

    public RadioService(IOptions<RadioOptions> options, HealthRegistry health, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<RadioService>();
        LoggerFactory = loggerFactory;
        if (_options.Mode != RadioMode.None)
        {
            _health = health.Register("radio", TimeSpan.FromSeconds(10));
        }
    }

    private ILoggerFactory LoggerFactory { get; }

    /// <summary>The link, once the radio has answered and been configured (never completes with <c>Radio:Mode=None</c>).</summary>
    public Task<IRadioLink> Ready => _ready.Task;

    /// <summary>The link, or null before start or with <c>Radio:Mode=None</c>.</summary>
    public IRadioLink? Link => _link;

    /// <summary>Capture sessions (<c>activegate capture</c>) subscribe here.</summary>
    public RadioTapHub Taps => _taps;

    public RadioOptions Options => _options;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Mode == RadioMode.None)
        {
            LogDisabled(_logger);
            return;
        }

        if (!string.IsNullOrEmpty(_options.CaptureFile))
        {
            _taps.Add(PcapTap.Open(_options.CaptureFile, _options.CaptureWithFcs ? PcapLinkType.Ieee802154WithFcs : PcapLinkType.Ieee802154NoFcs));
        }

        var linkOptions = new SerialRadioOptions
        {
            Port = _options.Port,
            Baud = _options.Baud,
            RtsCts = _options.RtsCts,
            InterFrameGap = _options.InterFrameGap,
            TxStatusTimeout = _options.TxStatusTimeout,
        };
        _link = new SerialRadioLink(linkOptions, _timeProvider, LoggerFactory.CreateLogger<SerialRadioLink>(), _taps);
        _link.StateChanged += (_, e) =>
        {
            // Retries while the board is absent are the link's own (rate-limited) business; say when it comes and goes.
            if (e.Current == RadioLinkState.Up || e.Previous == RadioLinkState.Up)
            {
                // Losing the board is worth a warning; getting it back, or our own stop, is not.
                LogLevel level = e.Current == RadioLinkState.Up || stoppingToken.IsCancellationRequested ? LogLevel.Information : LogLevel.Warning;
                LogStateChanged(_logger, level, _link.Description, e.Previous, e.Current, e.Reason ?? "");
            }
        };
        LogStarting(_logger, _link.Description, _options.Channel, _options.PanId);

        Task monitor = MonitorAsync(_link, stoppingToken);
        try
        {
            await _link.InitializeAsync(stoppingToken).ConfigureAwait(false);
            await _link.SetChannelAsync(_options.Channel, stoppingToken).ConfigureAwait(false);
            await _link.SetPanIdAsync((ushort)_options.PanId, stoppingToken).ConfigureAwait(false);
            LogUp(_logger, _link.Description, _link.ExtendedAddress is ulong eui ? RadioLinkStatistics.FormatEui64(eui) : "?");
            _ready.TrySetResult(_link);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await monitor.ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_link is not null)
        {
            await _link.DisposeAsync().ConfigureAwait(false);
        }

        _taps.Dispose();
    }

    /// <summary>Reports the link's state once a second until the agent stops.</summary>
    private async Task MonitorAsync(SerialRadioLink link, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _timeProvider);
        try
        {
            do
            {
                if (link.State == RadioLinkState.Up)
                {
                    _health!.ReportProgress($"up on {link.Description}");
                }
                else
                {
                    _health!.ReportDegraded($"{link.State.ToString().ToLowerInvariant()}: {link.Description}");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Radio disabled (Radio:Mode=None)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Opening radio {Port} (channel {Channel}, PAN 0x{PanId:X4})")]
    private static partial void LogStarting(ILogger logger, string port, int channel, int panId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Radio {Port} up, EUI-64 {Eui64}")]
    private static partial void LogUp(ILogger logger, string port, string eui64);

    [LoggerMessage(Message = "Radio {Port}: {Previous} -> {Current} {Reason}")]
    private static partial void LogStateChanged(ILogger logger, LogLevel level, string port, RadioLinkState previous, RadioLinkState current, string reason);
}
