using System.ComponentModel.DataAnnotations;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Upstream</c> section: the oneM2M platform (CSE) readings go to and commands come from.</summary>
public sealed class UpstreamOptions : IValidatableObject
{
    public const string SectionName = "Upstream";

    /// <summary>
    /// Root of the CSE: <c>http://cse.example:8080/</c> (TS-0009) or <c>coap://cse.example:5683/</c> (TS-0008). Empty: no
    /// platform; readings are logged. A policy written at runtime (LwM2M, <c>activegate upstream switch</c>) wins over it
    /// until <c>activegate upstream reset</c>.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>The CSE-ID, e.g. <c>/id-in</c>.</summary>
    [Required]
    public string CseId { get; set; } = "/id-in";

    /// <summary>The CSEBase resource name that structured addresses start with, e.g. <c>cse-in</c>.</summary>
    [Required]
    public string CseName { get; set; } = "cse-in";

    /// <summary>Originator (AE-ID) of our requests; <c>C…</c> lets the CSE assign nothing.</summary>
    [Required]
    public string Origin { get; set; } = "Cactivegate01";

    /// <summary>X-M2M-RVI sent: "3" (default), "2a" for OpenMTC-era platforms.</summary>
    [Required]
    public string ReleaseVersion { get; set; } = "3";

    /// <summary>Resource name of the gateway's AE.</summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_\-.]{1,64}$", ErrorMessage = "must be 1 to 64 letters, digits, '_', '-' or '.'")]
    public string AeName { get; set; } = "ActiveGate01";

    /// <summary>Containers (every CSE) or SmartDevice (TS-0023 flexContainers).</summary>
    public MappingMode Mapping { get; set; } = MappingMode.Containers;

    /// <summary>Our notification URL as the CSE must call it (the AE's poa). Empty: not reachable, commands are polled.</summary>
    public string? NotificationUrl { get; set; }

    /// <summary>HttpListener prefix the notification endpoint listens on, e.g. <c>http://+:8089/notify/</c>.</summary>
    public string? NotificationListen { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>mni</c> of each channel's readings container: the platform keeps this many, pruning older ones.</summary>
    [Range(1, 10_000_000)]
    public int ReadingsMaxInstances { get; set; } = 100;

    /// <summary>
    /// How long a platform command may take until the relay is confirmed; after it the outcome says "timed-out" and the
    /// command is never carried out late (docs/onem2m.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>DTLS-PSK identity for a coaps:// platform (with <see cref="PskKeyFile"/>); without them coaps:// policies are refused.</summary>
    public string? PskIdentity { get; set; }

    /// <summary>File holding the PSK (hex or raw) for a coaps:// platform.</summary>
    public string? PskKeyFile { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Url) && (!Uri.TryCreate(Url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https" or "coap" or "coaps")))
        {
            yield return new ValidationResult("The field UpstreamOptions.Url must be an absolute http://, https://, coap:// or coaps:// URL", [nameof(Url)]);
        }

        if (string.IsNullOrEmpty(PskIdentity) != string.IsNullOrEmpty(PskKeyFile))
        {
            yield return new ValidationResult("The fields UpstreamOptions.PskIdentity and PskKeyFile go together (coaps:// platforms)", [nameof(PskKeyFile)]);
        }

        if (!string.IsNullOrEmpty(NotificationUrl) && string.IsNullOrEmpty(NotificationListen))
        {
            yield return new ValidationResult("The field UpstreamOptions.NotificationListen must be set when NotificationUrl is (where should the agent listen?)", [nameof(NotificationListen)]);
        }
    }
}

[OptionsValidator]
public sealed partial class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>;

/// <summary>The <c>Outbox</c> section: the durable queue between devices and the platform.</summary>
public sealed class OutboxSettings
{
    public const string SectionName = "Outbox";

    /// <summary>Disk the outbox may use; the oldest readings are dropped (and counted) beyond it.</summary>
    [Range(1L << 20, 1L << 34)]
    public long MaxBytes { get; set; } = 64L << 20;

    /// <summary>Readings older than this are dropped (and counted) rather than sent.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an append may wait to share an fsync with others (group commit).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan GroupCommitWindow { get; set; } = OutboxOptions.DefaultGroupCommitWindow;

    /// <summary>How long a trickle of readings may wait to go upstream together (not applied under load).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan DeliveryLinger { get; set; } = OutboxOptions.DefaultDeliveryLinger;
}

[OptionsValidator]
public sealed partial class OutboxSettingsValidator : IValidateOptions<OutboxSettings>;
