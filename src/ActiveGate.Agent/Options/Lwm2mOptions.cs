using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ActiveGate.Agent.Options;

/// <summary>The <c>Lwm2m</c> section: the device-management server the gateway registers with.</summary>
public sealed class Lwm2mOptions : IValidatableObject
{
    public const string SectionName = "Lwm2m";

    /// <summary><c>coap://host:5683</c> or <c>coaps://host:5684</c> (DTLS-PSK). Empty (and no bootstrap server): no device management.</summary>
    public string? ServerUri { get; set; }

    /// <summary>Bootstrap server, tried when registration keeps failing or when there is no server yet.</summary>
    public string? BootstrapUri { get; set; }

    /// <summary>Endpoint client name; empty: <c>urn:dev:mac:</c> + the radio's EUI-64, else the machine id.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Registration lifetime in seconds.</summary>
    [Range(30, 86400 * 7)]
    public int Lifetime { get; set; } = 300;

    /// <summary>PSK identity for coaps:// servers.</summary>
    public string? PskIdentity { get; set; }

    /// <summary>File holding the PSK (hex or raw bytes, readable by the service only). Keys never go into the configuration file or the logs.</summary>
    public string? PskKeyFile { get; set; }

    /// <summary>Queue mode (binding UQ): the server queues requests while the gateway sleeps.</summary>
    public bool QueueMode { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(ServerUri) || !string.IsNullOrEmpty(BootstrapUri);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach ((string name, string? value) in new[] { (nameof(ServerUri), ServerUri), (nameof(BootstrapUri), BootstrapUri) })
        {
            if (!string.IsNullOrEmpty(value) && (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("coap" or "coaps")))
            {
                yield return new ValidationResult($"The field Lwm2mOptions.{name} must be a coap:// or coaps:// URI", [name]);
            }
        }

        bool secure = (ServerUri ?? "").StartsWith("coaps:", StringComparison.OrdinalIgnoreCase) || (BootstrapUri ?? "").StartsWith("coaps:", StringComparison.OrdinalIgnoreCase);
        if (secure && (string.IsNullOrEmpty(PskIdentity) || string.IsNullOrEmpty(PskKeyFile)))
        {
            yield return new ValidationResult("The field Lwm2mOptions.PskKeyFile must be set, with PskIdentity, for a coaps:// server", [nameof(PskKeyFile)]);
        }
    }
}

[OptionsValidator]
public sealed partial class Lwm2mOptionsValidator : IValidateOptions<Lwm2mOptions>;
