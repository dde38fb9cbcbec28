using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Serilog.Events;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Log</c> section: levels (reloadable) and the rolling file sink.</summary>
public sealed class LogOptions
{
    public const string SectionName = "Log";

    /// <summary>Minimum level for every source without an override. Reloaded when the file changes.</summary>
    public LogEventLevel Level { get; set; } = LogEventLevel.Information;

    /// <summary>Per-source minimum levels, e.g. <c>"ActiveGate.Coap": "Debug"</c>. Reloadable for sources present at start.</summary>
    public Dictionary<string, LogEventLevel> Overrides { get; set; } = new(StringComparer.Ordinal);

    [ValidateObjectMembers]
    public LogFileOptions File { get; set; } = new();
}

public sealed class LogFileOptions
{
    /// <summary>Write the rolling log file at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Directory of the log files; empty means <c>$LOGS_DIRECTORY</c>, else <c>./.run/log</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>Size at which a file is rolled over.</summary>
    [Range(64 * 1024, 1L << 30)]
    public long SizeLimitBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many rolled files are kept (the board's flash is small).</summary>
    [Range(1, 1000)]
    public int RetainedFileCount { get; set; } = 5;
}

[OptionsValidator]
public sealed partial class LogOptionsValidator : IValidateOptions<LogOptions>;
