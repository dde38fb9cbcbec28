using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Diagnostics</c> section: the Unix socket the <c>activegate</c> CLI talks to.</summary>
public sealed class DiagnosticsOptions
{
    public const string SectionName = "Diagnostics";

    /// <summary>Socket path; empty means <c>$RUNTIME_DIRECTORY/activegate.sock</c>, else <c>./.run/activegate.sock</c>.</summary>
    /// <remarks>sockaddr_un holds at most 107 path bytes plus the terminator.</remarks>
    [MaxLength(107)]
    public string? SocketPath { get; set; }
}

[OptionsValidator]
public sealed partial class DiagnosticsOptionsValidator : IValidateOptions<DiagnosticsOptions>;
