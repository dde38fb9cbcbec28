using ActiveGate.Agent.Hosting;
using ActiveGate.Agent.Options;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace ActiveGate.Agent.Logging;

/// <summary>
/// Serilog set-up. journald timestamps every line itself, so under systemd the console sink
/// writes none; the rolling file keeps full timestamps for logs pulled off the board.
/// </summary>
public sealed class AgentLogging : IDisposable
{
    private const string SystemdConsoleTemplate = "[{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";
    private const string InteractiveConsoleTemplate = "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";
    private const string FileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    private readonly LoggingLevelSwitch _defaultLevel = new();
    private readonly Dictionary<string, LoggingLevelSwitch> _overrides = new(StringComparer.Ordinal);
    private IDisposable? _reloadSubscription;

    /// <summary>The logger used before the host is built and after it has stopped.</summary>
    public static void ConfigureBootstrap(bool underSystemd)
    {
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: underSystemd ? SystemdConsoleTemplate : InteractiveConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateBootstrapLogger();
    }

    /// <summary>Builds the host's logger from the <c>Log</c> section and follows level changes on reload.</summary>
    public void Configure(LoggerConfiguration configuration, IOptionsMonitor<LogOptions> options, AgentPaths paths, bool underSystemd)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(paths);
        LogOptions current = options.CurrentValue;
        _defaultLevel.MinimumLevel = current.Level;
        configuration.MinimumLevel.ControlledBy(_defaultLevel)
            // The host's own chatter is not what a field technician reads the log for.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            // A start failure is reported once, by the run command, as one line (EX_CONFIG) or a fatal event.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: underSystemd ? SystemdConsoleTemplate : InteractiveConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose);
        foreach ((string source, LogEventLevel level) in current.Overrides)
        {
            var levelSwitch = new LoggingLevelSwitch(level);
            _overrides[source] = levelSwitch;
            configuration.MinimumLevel.Override(source, levelSwitch);
        }

        if (current.File.Enabled)
        {
            string directory = string.IsNullOrEmpty(current.File.Directory) ? paths.LogsDirectory : current.File.Directory;
            Directory.CreateDirectory(directory);
            configuration.WriteTo.File(
                Path.Combine(directory, "activegate.log"),
                outputTemplate: FileTemplate,
                fileSizeLimitBytes: current.File.SizeLimitBytes,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: current.File.RetainedFileCount,
                flushToDiskInterval: TimeSpan.FromSeconds(2));
        }

        _reloadSubscription = options.OnChange(Apply);
    }

    private void Apply(LogOptions changed)
    {
        _defaultLevel.MinimumLevel = changed.Level;
        foreach ((string source, LoggingLevelSwitch levelSwitch) in _overrides)
        {
            levelSwitch.MinimumLevel = changed.Overrides.TryGetValue(source, out LogEventLevel level) ? level : changed.Level;
        }

        Log.ForContext<AgentLogging>().Information("Log level now {Level} ({OverrideCount} overrides)", changed.Level, changed.Overrides.Count);
    }

    public void Dispose() => _reloadSubscription?.Dispose();
}
